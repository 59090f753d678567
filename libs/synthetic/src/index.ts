export * from './population.js';
export * from './biometrics/face.js';
export * from './biometrics/fingerprints.js';
export * from './biometrics/finger-images.js';
