import {
  metrics,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableGauge,
} from '@opentelemetry/api';
import { METRICS, type MetricKey } from './metrics.js';

type Spec<K extends MetricKey> = (typeof METRICS)[K];

/** Catalogue keys of each kind of instrument. */
export type CounterKey = { [K in MetricKey]: Spec<K>['kind'] extends 'counter' ? K : never }[MetricKey];
export type HistogramKey = { [K in MetricKey]: Spec<K>['kind'] extends 'histogram' ? K : never }[MetricKey];
export type GaugeKey = { [K in MetricKey]: Spec<K>['kind'] extends 'gauge' ? K : never }[MetricKey];

type ValueOf<A> = A extends { readonly values: readonly (infer V extends string)[] } ? V : string;

/**
 * The attributes a metric's points may carry, by the catalogue: only its attribute names, and for
 * those with a closed set of values, only those values. A typo or a new attribute fails to compile.
 */
export type MetricAttributes<K extends MetricKey> = {
  readonly [A in Spec<K>['attributes'][number] as A['name']]?: ValueOf<A>;
};

/** Reports the current values of a gauge, one call per series. */
export type Observe<K extends GaugeKey> = (value: number, attributes: MetricAttributes<K>) => void;

type Instrument = Counter | Histogram | ObservableGauge;

/**
 * The catalogue's instruments on the process's meter provider, for one instrumentation scope (the
 * emitting library). Instruments are made on first use and made again if the provider changes —
 * the OpenTelemetry API has no proxy meter provider, so instruments made before the SDK started
 * would stay no-ops for ever. Without an SDK every call is a no-op.
 */
export class CatalogueMeter {
  private provider: MeterProvider | undefined;
  private meter: Meter | undefined;
  private readonly instruments = new Map<MetricKey, Instrument>();

  constructor(private readonly scope: string) {}

  private instrument(key: MetricKey): Instrument {
    const provider = metrics.getMeterProvider();
    if (provider !== this.provider || !this.meter) {
      this.provider = provider;
      this.meter = provider.getMeter(this.scope);
      this.instruments.clear();
    }
    let instrument = this.instruments.get(key);
    if (!instrument) {
      const spec = METRICS[key];
      const options = { unit: spec.unit, description: spec.description };
      switch (spec.kind) {
        case 'counter':
          instrument = this.meter.createCounter(spec.name, options);
          break;
        case 'histogram':
          // Bucket boundaries come from the SDK's views (`catalogueViews`), where the catalogue is applied.
          instrument = this.meter.createHistogram(spec.name, options);
          break;
        case 'gauge':
          instrument = this.meter.createObservableGauge(spec.name, options);
          break;
      }
      this.instruments.set(key, instrument);
    }
    return instrument;
  }

  /** Adds to a counter. */
  add<K extends CounterKey>(key: K, value: number, attributes: MetricAttributes<K>): void {
    (this.instrument(key) as Counter).add(value, attributes);
  }

  /** Records one measurement of a histogram (durations in seconds). */
  record<K extends HistogramKey>(key: K, value: number, attributes: MetricAttributes<K>): void {
    (this.instrument(key) as Histogram).record(value, attributes);
  }

  /**
   * Reports a gauge each time the SDK collects (every export interval): `read` may query a
   * database; a failure only loses that collection. Returns the function that stops reporting, to
   * be called when the component stops (before its connections close).
   */
  observe<K extends GaugeKey>(key: K, read: (observe: Observe<K>) => Promise<void> | void): () => void {
    const gauge = this.instrument(key) as ObservableGauge;
    const callback: ObservableCallback = (result) =>
      read((value, attributes) => result.observe(value, attributes));
    gauge.addCallback(callback);
    return () => gauge.removeCallback(callback);
  }
}

/** Seconds since `startMs` (a `performance.now()` reading): what duration histograms take. */
export function secondsSince(startMs: number): number {
  return (performance.now() - startMs) / 1000;
}
