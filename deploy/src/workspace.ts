import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.js';

/**
 * What the image build needs to know about the npm workspace: every member's package.json (npm ci
 * refuses a lockfile whose workspaces are missing) and which `@cancuoc/*` libraries a service needs
 * at run time.
 */
interface PackageJson {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
}

const read = (dir: string): PackageJson =>
  JSON.parse(readFileSync(join(REPO_ROOT, dir, 'package.json'), 'utf8')) as PackageJson;

/** Workspace member folders, relative to the root, sorted. */
export function workspaceMembers(root = REPO_ROOT): string[] {
  const members: string[] = [];
  for (const pattern of read('.').workspaces ?? []) {
    if (pattern.endsWith('/*')) {
      const parent = pattern.slice(0, -2);
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true })) {
        if (entry.isDirectory() && existsSync(join(root, parent, entry.name, 'package.json'))) {
          members.push(`${parent}/${entry.name}`);
        }
      }
    } else if (existsSync(join(root, pattern, 'package.json'))) {
      members.push(pattern);
    }
  }
  return members.sort();
}

function libraries(): Map<string, string> {
  const byName = new Map<string, string>();
  for (const dir of workspaceMembers().filter((m) => m.startsWith('libs/'))) byName.set(read(dir).name, dir);
  return byName;
}

/** Libraries whose project tags mark them as test infrastructure: never in a runtime image. */
function isTestInfrastructure(dir: string): boolean {
  const project = JSON.parse(readFileSync(join(REPO_ROOT, dir, 'project.json'), 'utf8')) as {
    tags?: string[];
  };
  return (project.tags ?? []).includes('type:testing');
}

/**
 * The `libs/*` folders a service imports at run time, following production dependencies
 * transitively. A service not yet in this tree gets every production library, so its image builds;
 * once it lands, rendering narrows the list (and the up-to-date check asks for a re-render).
 */
export function runtimeLibraries(service: string): string[] {
  const libs = libraries();
  const dir = `services/${service}`;
  if (!existsSync(join(REPO_ROOT, dir, 'package.json'))) {
    return [...libs.values()].filter((d) => !isTestInfrastructure(d)).sort();
  }
  const needed = new Set<string>();
  const visit = (pkg: PackageJson) => {
    for (const dep of Object.keys(pkg.dependencies ?? {})) {
      const lib = libs.get(dep);
      if (lib && !needed.has(lib)) {
        needed.add(lib);
        visit(read(lib));
      }
    }
  };
  visit(read(dir));
  return [...needed].sort();
}
