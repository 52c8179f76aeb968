import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { SERVICE_CONFIGS, unknownNames } from './config-shapes';

const root = path.resolve(__dirname, '../..');

interface ComposeService {
  command?: string[];
  environment?: Record<string, string | null>;
  profiles?: string[];
  deploy?: { replicas?: number };
  depends_on?: Record<string, { condition: string }>;
  entrypoint?: string[];
}
interface ComposeFile {
  services: Record<string, ComposeService>;
}

/** The secrets compose refuses to run without; fake but valid for the schemas. */
const SECRETS = {
  INTERNAL_API_TOKEN: 'compose-test-internal-token',
  WEBHOOK_ENCRYPTION_KEY: 'compose-test-webhook-encryption-key-32+',
  SYNC_ENCRYPTION_KEY: 'compose-test-sync-encryption-key-32+chars',
  MINIO_ROOT_PASSWORD: 'compose-test-minio-password',
};

/** `docker-compose config`: Debian's compose v1 validates and interpolates the file. */
function composeConfig(args: string[] = [], env: Record<string, string> = SECRETS): ComposeFile {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !/^(AMQP|KAFKA|COMPOSE|RABBITMQ|MINIO|WEBHOOK|SYNC|ADMIN|INTERNAL)_/.test(name),
    ),
  );
  const output = execFileSync('docker-compose', [...args, 'config'], {
    cwd: root,
    env: { ...clean, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return parse(output) as ComposeFile;
}

/** The application services: the ones that run a `services/<name>/dist/main.js`. */
function appServices(file: ComposeFile): [string, ComposeService][] {
  return Object.entries(file.services).filter(([, service]) =>
    service.command?.[0]?.startsWith('services/'),
  );
}

/** A service's environment as the process would see it (a null value is "not passed on"). */
function environmentOf(service: ComposeService): Record<string, string> {
  return Object.fromEntries(
    Object.entries(service.environment ?? {}).filter(
      (entry): entry is [string, string] => entry[1] !== null,
    ),
  );
}

describe('docker-compose.yml', () => {
  const rabbit = composeConfig();
  const kafka = composeConfig(['--env-file', 'deploy/compose/kafka.env']);

  it('when a required secret is missing, then docker-compose refuses the file and names it', () => {
    const rest = Object.fromEntries(
      Object.entries(SECRETS).filter(([name]) => name !== 'INTERNAL_API_TOKEN'),
    );

    expect(() => composeConfig([], rest)).toThrow(/INTERNAL_API_TOKEN/);
  });

  it('when rendered, then it runs the whole stack: stores, broker, every service, two OCR workers', () => {
    expect(Object.keys(rabbit.services).sort()).toEqual(
      [
        'postgres',
        'rabbitmq',
        'kafka',
        'minio',
        'minio-bucket',
        'auth',
        'document',
        'ocr-worker',
        'webhook-dispatcher',
        'sync',
        'gateway',
      ].sort(),
    );
    expect(
      appServices(rabbit)
        .map(([name]) => name)
        .sort(),
    ).toEqual(Object.keys(SERVICE_CONFIGS).sort());
    for (const [name, service] of appServices(rabbit)) {
      expect(service.command).toEqual([`services/${name}/dist/main.js`]);
    }
    expect(rabbit.services['ocr-worker']?.deploy?.replicas).toBe(2);
  });

  it('when rendered, then MinIO gets its bucket before the document service stores into it', () => {
    const bucketJob = rabbit.services['minio-bucket'];
    const document = environmentOf(rabbit.services.document ?? {});

    expect(bucketJob?.entrypoint?.join(' ')).toContain(
      `mc mb --ignore-existing readur/${document.S3_BUCKET_NAME}`,
    );
    expect(rabbit.services.document?.depends_on?.['minio-bucket']?.condition).toBe(
      'service_completed_successfully',
    );
    expect(document).toMatchObject({ S3_ENABLED: 'true', S3_ENDPOINT_URL: 'http://minio:9000' });
  });

  it.each([
    ['RabbitMQ', rabbit],
    ['Kafka', kafka],
  ])(
    'when rendered for %s, then every variable is one the service reads and its schema accepts',
    (_broker, file) => {
      for (const [name, service] of appServices(file)) {
        const env = environmentOf(service);

        expect({ service: name, unknown: unknownNames(name, env) }).toEqual({
          service: name,
          unknown: [],
        });
        expect(() => SERVICE_CONFIGS[name]?.load(env)).not.toThrow();
      }
    },
  );

  it('when the kafka env file is used, then Kafka replaces RabbitMQ for every service', () => {
    expect(rabbit.services.kafka?.profiles).toEqual(['kafka']);
    expect(rabbit.services.rabbitmq?.deploy?.replicas).toBe(1);
    expect(kafka.services.rabbitmq?.deploy?.replicas).toBe(0);

    for (const [name, service] of appServices(kafka)) {
      const env = environmentOf(service);
      expect({ name, amqp: env.AMQP_ENABLED, kafka: env.KAFKA_ENABLED }).toEqual({
        name,
        amqp: 'false',
        kafka: 'true',
      });
      expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    }
  });
});

describe('Dockerfile', () => {
  const lines = fs
    .readFileSync(path.join(root, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .filter((line) => line.trim() && !line.trim().startsWith('#'));
  const runtime = lines.slice(lines.findLastIndex((line) => line.startsWith('FROM ')));
  const instruction = (name: string) => runtime.filter((line) => line.startsWith(`${name} `));

  it('when built, then the runtime stage is a second stage without build tools or sources', () => {
    expect(lines.filter((line) => line.startsWith('FROM ')).length).toBeGreaterThanOrEqual(2);
    expect(runtime.join('\n')).not.toMatch(/pnpm install|npm install/);
    expect(runtime.join('\n')).toMatch(/rm -rf [^\n]*services\/\*\/src/);
  });

  it('when run, then it runs as the unprivileged node user with an exec-form entry point', () => {
    expect(instruction('USER')).toEqual(['USER node']);
    const entrypoint = JSON.parse(instruction('ENTRYPOINT')[0]?.slice(11) ?? 'null') as unknown;
    const command = JSON.parse(instruction('CMD')[0]?.slice(4) ?? 'null') as string[];

    expect(entrypoint).toEqual(['node']);
    expect(
      fs.existsSync(path.join(root, (command[0] ?? '').replace('/dist/main.js', '/src/main.ts'))),
    ).toBe(true);
  });

  it('when running, then the HEALTHCHECK asks the service its own /api/health (exec form)', () => {
    const [healthcheck] = instruction('HEALTHCHECK');

    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*\/api\/health.*"\]/);
    expect(healthcheck).toContain('process.env.PORT');
  });

  it('when every compose command is looked up, then each names a service entry point the image has', () => {
    for (const [name, service] of appServices(composeConfig())) {
      const main = path.join(root, 'services', name, 'src', 'main.ts');
      expect({ name, exists: fs.existsSync(main) }).toEqual({ name, exists: true });
      expect(service.command).toEqual([`services/${name}/dist/main.js`]);
    }
  });
});
