import {
  AggregationType,
  createAllowListAttributesProcessor,
  type ViewOptions,
} from '@opentelemetry/sdk-metrics';
import { metricCatalogue } from '../metrics.js';

/**
 * One view per catalogued metric: a histogram gets the catalogue's bucket boundaries, and every
 * metric keeps only the attributes the catalogue lists. The attribute types of `CatalogueMeter`
 * already refuse others at compile time; the allow-list also drops them at run time, so an
 * uncatalogued attribute never leaves the process.
 */
export function catalogueViews(): ViewOptions[] {
  return metricCatalogue().map((metric) => ({
    instrumentName: metric.name,
    attributesProcessors: [createAllowListAttributesProcessor(metric.attributes.map((a) => a.name))],
    ...(metric.buckets
      ? {
          aggregation: {
            type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
            options: { boundaries: [...metric.buckets] },
          },
        }
      : {}),
  }));
}
