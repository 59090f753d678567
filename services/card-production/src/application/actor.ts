/** The actor recorded on what card production does by itself (personalising, dispatching, sweeping). */
export const SERVICE_ACTOR = 'service:card-production';

/** The actor recorded on what a station reports. */
export const stationActor = (stationId: string) => `station:${stationId}`;
