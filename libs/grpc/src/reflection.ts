import { toBinary, type DescFile, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import { ReflectionService } from '@grpc/reflection';

/** What `@grpc/reflection` analyses: a proto-loader package definition. */
export type ReflectionPackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

function collect(file: DescFile, into: Map<string, DescFile>): void {
  if (into.has(file.proto.name)) return;
  into.set(file.proto.name, file);
  for (const dependency of file.dependencies) collect(dependency, into);
}

/**
 * The files that declare `services`, and everything they import, as serialized
 * `FileDescriptorProto`s — the compiler's own descriptors, embedded in protobuf-es generated code —
 * in the shape of a proto-loader package definition, which is what `@grpc/reflection` reads.
 */
export function reflectionPackageDefinition(services: readonly DescService[]): ReflectionPackageDefinition {
  const files = new Map<string, DescFile>();
  for (const service of services) collect(service.file, files);
  const definition: Record<string, unknown> = {};
  for (const [name, file] of files) {
    definition[name] = {
      format: 'Protocol Buffer 3 FileDescriptorProto',
      type: {},
      fileDescriptorProtos: [Buffer.from(toBinary(FileDescriptorProtoSchema, file.proto))],
    };
  }
  return definition as ReflectionPackageDefinition;
}

/**
 * Server reflection (`grpc.reflection.v1` and `v1alpha`) describing exactly `services`, so tools
 * such as grpcurl and Postman can call the server without the .proto files.
 */
export function reflectionService(services: readonly DescService[]): ReflectionService {
  return new ReflectionService(reflectionPackageDefinition(services), {
    services: services.map((s) => s.typeName),
  });
}
