export * from './gen/cancuoc/events/v1/application_pb.js';
export * from './gen/cancuoc/events/v1/card_pb.js';
export * from './gen/cancuoc/events/v1/citizen_pb.js';
export * from './gen/cancuoc/enrollment/v1/enrollment_service_pb.js';
export * from './gen/cancuoc/enrollment/v1/personalisation_data_pb.js';
export * from './topics.js';
export * from './gen/cancuoc/registry/v1/registry_service_pb.js';
