import { fileURLToPath } from 'node:url';
import { credentials, loadPackageDefinition, Metadata } from '@grpc/grpc-js';
import type { ClientDuplexStream, ServiceError } from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { MethodDefinition } from '@grpc/proto-loader';
import { loadSdsProtos, SECRET_TYPE_URL, SPIFFE_VALIDATOR_TYPE_URL } from '../../src/sds/index.js';
import { protoDir, PROTO_LOADER_OPTIONS } from '../../src/workload-api/index.js';
import type { DiscoveryRequest } from '../../src/gen/envoy/service/discovery/v3/DiscoveryRequest.js';
import type { DiscoveryResponse__Output } from '../../src/gen/envoy/service/discovery/v3/DiscoveryResponse.js';
import type { SecretDiscoveryServiceClient } from '../../src/gen/envoy/service/secret/v3/SecretDiscoveryService.js';
import type { Secret__Output } from '../../src/gen/envoy/extensions/transport_sockets/tls/v3/Secret.js';
import type { SPIFFECertValidatorConfig__Output } from '../../src/gen/envoy/extensions/transport_sockets/tls/v3/SPIFFECertValidatorConfig.js';

// A small SDS client for tests, over the agent's Unix socket with no security header (as Envoy):
// a StreamSecrets stream whose responses are queued and decoded, and FetchSecrets.

export interface DecodedSecret {
  readonly name: string;
  readonly kind: 'tls_certificate' | 'validation_context';
  readonly certificateChainPem?: string;
  readonly privateKeyPem?: string;
  readonly trustedCaPem?: string;
  /** The SPIFFE validator's config, decoded from its Any; undefined when trusted_ca is used. */
  readonly spiffeValidator?: { readonly name: string; readonly config: SPIFFECertValidatorConfig__Output };
}

export interface DecodedResponse {
  readonly versionInfo: string;
  readonly nonce: string;
  readonly typeUrl: string;
  readonly secrets: readonly DecodedSecret[];
}

type Decoder = MethodDefinition<unknown, unknown, Secret__Output, SPIFFECertValidatorConfig__Output>;
let decoder: Decoder | undefined;

function secretDecoder(): Decoder {
  if (decoder) return decoder;
  const definition = protoLoader.loadSync('sds-decoder.proto', {
    ...PROTO_LOADER_OPTIONS,
    includeDirs: [fileURLToPath(new URL('./', import.meta.url)), protoDir()],
  });
  decoder = (definition['conjur.spiffe.test.SdsDecoder'] as unknown as { Decode: Decoder }).Decode;
  return decoder;
}

export function decodeResponse(response: DiscoveryResponse__Output): DecodedResponse {
  const decode = secretDecoder();
  const secrets = response.resources.map((any): DecodedSecret => {
    if (any.type_url !== SECRET_TYPE_URL) throw new Error(`resource has type URL ${any.type_url}`);
    const secret = decode.requestDeserialize(any.value);
    const validation = secret.validation_context;
    const custom = validation?.custom_validator_config;
    if (custom && custom.typed_config?.type_url !== SPIFFE_VALIDATOR_TYPE_URL) throw new Error(`validator config has type URL ${custom.typed_config?.type_url}`);
    return {
      name: secret.name,
      kind: secret.tls_certificate ? 'tls_certificate' : 'validation_context',
      ...(secret.tls_certificate
        ? { certificateChainPem: secret.tls_certificate.certificate_chain?.inline_bytes?.toString(), privateKeyPem: secret.tls_certificate.private_key?.inline_bytes?.toString() }
        : {}),
      ...(validation?.trusted_ca ? { trustedCaPem: validation.trusted_ca.inline_bytes?.toString() } : {}),
      ...(custom ? { spiffeValidator: { name: custom.name, config: decode.responseDeserialize(custom.typed_config!.value as Buffer) } } : {}),
    };
  });
  return { versionInfo: response.version_info, nonce: response.nonce, typeUrl: response.type_url, secrets };
}

export class SdsClient {
  private readonly client: SecretDiscoveryServiceClient;

  constructor(socketPath: string) {
    const Client = loadPackageDefinition(loadSdsProtos().packageDefinition) as unknown as {
      envoy: { service: { secret: { v3: { SecretDiscoveryService: new (address: string, creds: ReturnType<typeof credentials.createInsecure>) => SecretDiscoveryServiceClient } } } };
    };
    this.client = new Client.envoy.service.secret.v3.SecretDiscoveryService(`unix://${socketPath}`, credentials.createInsecure());
  }

  stream(): SdsStream {
    return new SdsStream(this.client.StreamSecrets(new Metadata()));
  }

  fetch(request: DiscoveryRequest): Promise<DecodedResponse> {
    return new Promise((resolve, reject) => {
      this.client.FetchSecrets(request, (error, response) => (error || !response ? reject(error ?? new Error('no response')) : resolve(decodeResponse(response))));
    });
  }

  /** Opens DeltaSecrets and resolves with the error it ends with. */
  delta(): Promise<ServiceError> {
    return new Promise((resolve, reject) => {
      const call = this.client.DeltaSecrets(new Metadata());
      call.on('data', () => reject(new Error('DeltaSecrets answered')));
      call.on('error', resolve);
      call.write({ type_url: SECRET_TYPE_URL });
    });
  }

  close(): void {
    this.client.close();
  }
}

/** One StreamSecrets call: send requests, take responses in order, see how it ended. */
export class SdsStream {
  private readonly responses: DecodedResponse[] = [];
  private readonly waiters = new Set<() => void>();
  error: ServiceError | undefined;
  ended = false;

  constructor(private readonly call: ClientDuplexStream<DiscoveryRequest, DiscoveryResponse__Output>) {
    call.on('data', (response: DiscoveryResponse__Output) => {
      this.responses.push(decodeResponse(response));
      this.wake();
    });
    call.on('error', (error: ServiceError) => {
      this.error = error;
      this.wake();
    });
    call.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  send(request: DiscoveryRequest): void {
    this.call.write({ type_url: SECRET_TYPE_URL, ...request });
  }

  /** ACKs `response` (same names, its version and nonce). */
  ack(response: DecodedResponse, names: string[]): void {
    this.send({ resource_names: names, version_info: response.versionInfo, response_nonce: response.nonce });
  }

  /** The next response; fails when the stream ends first or nothing comes within `timeoutMs`. */
  async next(timeoutMs = 5000): Promise<DecodedResponse> {
    await this.until(() => this.responses.length > 0 || this.error !== undefined || this.ended, timeoutMs, 'a response');
    const response = this.responses.shift();
    if (!response) throw new Error(`stream ended without a response: ${this.error?.message ?? 'end'}`);
    return response;
  }

  async failure(timeoutMs = 5000): Promise<ServiceError> {
    await this.until(() => this.error !== undefined, timeoutMs, 'the stream to fail');
    return this.error!;
  }

  cancel(): void {
    this.call.cancel();
  }

  private async until(condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!condition()) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
