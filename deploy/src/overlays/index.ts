import type { Overlay } from '../overlay.js';
import { dev } from './dev.js';
import { prod } from './prod.js';

export const OVERLAYS: readonly Overlay[] = [dev, prod];
