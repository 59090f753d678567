// The data-sharing service's gRPC API, gathered for `export * as datasharing` in index.ts: its
// message names (GetCitizenRequest, …) are the registry's too.
export * from './gen/cancuoc/datasharing/v1/agency_query_service_pb.js';
export * from './gen/cancuoc/datasharing/v1/data_protection_service_pb.js';
export * from './gen/cancuoc/datasharing/v1/operations_service_pb.js';
export * from './gen/cancuoc/datasharing/v1/subscription_service_pb.js';
