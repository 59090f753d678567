export * from './gen/cancuoc/events/v1/application_pb.js';
export * from './gen/cancuoc/events/v1/card_pb.js';
export * from './gen/cancuoc/events/v1/citizen_pb.js';
export * from './gen/cancuoc/enrollment/v1/enrollment_service_pb.js';
export * from './gen/cancuoc/enrollment/v1/personalisation_data_pb.js';
export * from './topics.js';
export * from './gen/cancuoc/registry/v1/registry_service_pb.js';
export * from './gen/cancuoc/cardproduction/v1/card_production_service_pb.js';
export * from './gen/cancuoc/cardproduction/v1/encoding_station_service_pb.js';
// Namespaced: the partner contract and the data-sharing API reuse names of the events and the
// registry API (Sex, Address, GetCitizenRequest, …).
export * as partner from './gen/cancuoc/partner/v1/citizen_pb.js';
export * as datasharing from './datasharing.js';
export * as operations from './gen/cancuoc/operations/v1/operations_service_pb.js';
