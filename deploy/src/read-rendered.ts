import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import type { KubeObject } from './manifests.js';
import { renderedDir } from './outputs.js';
import type { Overlay } from './overlay.js';
import { REPO_ROOT } from './paths.js';

/** The committed YAML of an overlay, parsed back: what an operator would `kubectl apply`. */
export function committedObjects(overlay: Overlay, root = REPO_ROOT): KubeObject[] {
  const dir = join(root, renderedDir(overlay));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((file) =>
      parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((doc) => {
        if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
        return doc.toJS() as KubeObject;
      }),
    );
}

/** Our own images carry the release tag; CI pins their digest when it builds them. */
export function ownImages(overlay: Overlay): RegExp {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escape(overlay.imageRegistry)}/[a-z-]+:${escape(overlay.version)}$`);
}
