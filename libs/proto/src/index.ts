export * from './gen/cancuoc/events/v1/citizen_pb.js';
export * from './topics.js';
