/**
 * Static checks of a Dockerfile, for want of a Docker engine here: what the image will be can be
 * read from the instructions. Each breach is named.
 */
interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: Instruction[];
}

export function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const lines = text.replace(/\\\n/g, ' ').split('\n');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const [keyword = '', ...rest] = line.split(/\s+/);
    const instruction = { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    if (instruction.keyword === 'FROM') {
      const [from = '', as, name] = rest;
      stages.push({ from, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (stages.length === 0 && instruction.keyword === 'ARG') {
      const [key = '', ...value] = instruction.args.split('=');
      args.set(key, value.join('='));
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  return { args, stages };
}

const DIGEST = /@sha256:[0-9a-f]{64}$/;
const SECRET_FILES =
  /(^|\/)(\.env[^\s]*|\.npmrc|id_rsa[^\s]*|[^\s]*\.(pem|key|p12|pfx)|\.data|auth-secret)(\s|$)/;
const SECRET_WORDS = /SECRET|PASSWORD|TOKEN|PRIVATE_KEY|CREDENTIAL/i;

export function dockerfileViolations(text: string, service: string): string[] {
  const { args, stages } = parseDockerfile(text);
  const v: string[] = [];
  if (stages.length < 2) v.push('not a multi-stage build');
  for (const stage of stages) {
    const base = stage.from.replace(/^\$\{?([A-Z_]+)\}?$/, (_, name: string) => args.get(name) ?? `$${name}`);
    const internal = stages.some((s) => s.name === stage.from);
    if (!internal && !DIGEST.test(base))
      v.push(`stage ${stage.name ?? stage.from}: base ${base} is not pinned by digest`);
  }
  for (const [key] of args)
    if (SECRET_WORDS.test(key)) v.push(`ARG ${key} would bake a secret into the build`);
  const all = stages.flatMap((s) => s.instructions);
  for (const i of all) {
    if ((i.keyword === 'COPY' || i.keyword === 'ADD') && SECRET_FILES.test(i.args))
      v.push(`${i.keyword} ${i.args}: copies secret material`);
    if ((i.keyword === 'ENV' || i.keyword === 'ARG') && SECRET_WORDS.test(i.args.split(/[=\s]/)[0] ?? '')) {
      v.push(`${i.keyword} ${i.args}: a secret in the image`);
    }
    if (i.keyword === 'HEALTHCHECK') v.push('HEALTHCHECK present: Kubernetes probes gRPC health natively');
  }
  if (!all.some((i) => i.keyword === 'RUN' && /\bnpm ci\b/.test(i.args))) v.push('no npm ci');
  if (!all.some((i) => i.keyword === 'RUN' && /\btsc -b\b/.test(i.args))) v.push('no tsc -b');
  const runtime = stages.at(-1);
  if (runtime) {
    const user = runtime.instructions.filter((i) => i.keyword === 'USER').at(-1)?.args;
    if (!user) v.push('runtime stage sets no USER (runs as root)');
    else if (!/^[1-9][0-9]*(:[1-9][0-9]*)?$/.test(user))
      v.push(`runtime USER ${user} is not a numeric non-root UID`);
    for (const i of runtime.instructions) {
      if (i.keyword === 'COPY' && /(^|\s)\.(\s|$)/.test(i.args))
        v.push(`runtime stage copies the whole context: ${i.args}`);
      if (i.keyword === 'COPY' && /\/src(\s|$)/.test(i.args.split(/\s+/).at(-1) ?? ''))
        v.push(`runtime stage copies sources: ${i.args}`);
      if (i.keyword === 'RUN' && /\bnpm (ci|install)\b/.test(i.args))
        v.push('runtime stage installs packages itself');
    }
    const modules = runtime.instructions.find((i) => i.keyword === 'COPY' && /node_modules/.test(i.args));
    const depsStage = stages.find((s) => modules?.args.includes(`--from=${s.name}`));
    if (!depsStage?.instructions.some((i) => i.keyword === 'RUN' && /npm ci\b.*--omit=dev/.test(i.args))) {
      v.push('runtime node_modules do not come from an npm ci --omit=dev stage');
    }
    const entry = runtime.instructions.filter((i) => i.keyword === 'ENTRYPOINT').at(-1)?.args ?? '';
    if (!entry.includes(`services/${service}/dist/main.js`))
      v.push(`ENTRYPOINT does not run services/${service}/dist/main.js`);
  }
  return v;
}
