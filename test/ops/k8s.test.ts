import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { IngressRoute, Middleware } from '@kubernetes-models/traefik/traefik.io/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Namespace, Secret, Service } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { SERVICE_CONFIGS, unknownNames } from './config-shapes';
import { ingressRoute, traefikRoute } from './routes';

const root = path.resolve(__dirname, '../..');

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  [field: string]: unknown;
}
interface Container {
  args: string[];
  ports: { name: string; containerPort: number }[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef: { key: string } } }[];
  envFrom?: { configMapRef: { name: string } }[];
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  resources: { requests: Record<string, string>; limits: Record<string, string> };
  securityContext: { readOnlyRootFilesystem: boolean };
}
interface DeploymentJson extends Manifest {
  spec: {
    template: { spec: { containers: Container[]; securityContext: { runAsNonRoot: boolean } } };
  };
}

/** Offline schemas: the Kubernetes models, KEDA's and Traefik's CRD models. */
const MODELS: Record<string, (data: never) => { validate(): void }> = {
  'v1/Namespace': (data) => new Namespace(data),
  'v1/ConfigMap': (data) => new ConfigMap(data),
  'v1/Secret': (data) => new Secret(data),
  'v1/Service': (data) => new Service(data),
  'apps/v1/Deployment': (data) => new Deployment(data),
  'policy/v1/PodDisruptionBudget': (data) => new PodDisruptionBudget(data),
  'networking.k8s.io/v1/Ingress': (data) => new Ingress(data),
  'autoscaling/v2/HorizontalPodAutoscaler': (data) => new HorizontalPodAutoscaler(data),
  'keda.sh/v1alpha1/ScaledObject': (data) => new ScaledObject(data),
  'keda.sh/v1alpha1/TriggerAuthentication': (data) => new TriggerAuthentication(data),
  'traefik.io/v1alpha1/IngressRoute': (data) => new IngressRoute(data),
  'traefik.io/v1alpha1/Middleware': (data) => new Middleware(data),
};

function validate(manifest: Manifest): void {
  const model = MODELS[`${manifest.apiVersion}/${manifest.kind}`];
  if (!model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  model(manifest as never).validate();
}

/** `kubectl kustomize`: the real kustomize renders the base or an overlay. */
function render(dir: string): Manifest[] {
  const output = execFileSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8' });
  return parseAllDocuments(output).map((doc) => doc.toJSON() as Manifest);
}

const find = (manifests: Manifest[], kind: string, name: string) =>
  manifests.find((m) => m.kind === kind && m.metadata.name === name);

/** The environment one container would get: its env plus the ConfigMaps it loads. */
function environmentOf(manifests: Manifest[], container: Container): Record<string, string> {
  const secrets = find(manifests, 'Secret', 'readur-secrets') as
    { stringData: Record<string, string> } | undefined;
  const env: Record<string, string> = {};
  for (const source of container.envFrom ?? []) {
    const map = find(manifests, 'ConfigMap', source.configMapRef.name) as
      { data: Record<string, string> } | undefined;
    if (!map) throw new Error(`missing ConfigMap ${source.configMapRef.name}`);
    Object.assign(env, map.data);
  }
  for (const entry of container.env ?? []) {
    const key = entry.valueFrom?.secretKeyRef.key;
    env[entry.name] = key ? (secrets?.stringData[key] ?? '') : (entry.value ?? '');
  }
  return env;
}

/** Real secrets in place of the placeholders, which are meant to stop a service starting. */
const TEST_SECRETS: Record<string, string> = {
  INTERNAL_API_TOKEN: 'k8s-test-internal-token',
  WEBHOOK_ENCRYPTION_KEY: 'k8s-test-webhook-encryption-key-of-32+',
  SYNC_ENCRYPTION_KEY: 'k8s-test-sync-encryption-key-of-32+chars',
  S3_SECRET_ACCESS_KEY: 'k8s-test-s3-secret',
};

const deployments = (manifests: Manifest[]) =>
  manifests.filter((m): m is DeploymentJson => m.kind === 'Deployment');

describe('k8s/', () => {
  const base = render('k8s/base');
  const kafka = render('k8s/overlays/kafka');

  it.each([
    ['base', base],
    ['kafka overlay', kafka],
  ])('when the %s is rendered, then every manifest passes its offline schema', (_name, set) => {
    expect(set.length).toBeGreaterThan(20);
    for (const manifest of set) {
      expect(() => validate(manifest)).not.toThrow();
    }
  });

  it('when a manifest is malformed, then the schema validation rejects it', () => {
    const gateway = structuredClone(find(base, 'Deployment', 'gateway')) as DeploymentJson;
    (gateway.spec as unknown as Record<string, unknown>).replicas = 'two';
    const scaled = structuredClone(find(base, 'ScaledObject', 'ocr-worker')) as Manifest;
    delete (scaled.spec as Record<string, unknown>).scaleTargetRef;

    expect(() => validate(gateway)).toThrow();
    expect(() => validate(scaled)).toThrow();
  });

  it('when rendered, then every service has a Deployment, a Service and a disruption budget', () => {
    for (const name of Object.keys(SERVICE_CONFIGS)) {
      expect({ name, deployment: !!find(base, 'Deployment', name) }).toEqual({
        name,
        deployment: true,
      });
      expect({ name, service: !!find(base, 'Service', name) }).toEqual({ name, service: true });
      expect({ name, pdb: !!find(base, 'PodDisruptionBudget', name) }).toEqual({
        name,
        pdb: true,
      });
    }
  });

  it('when rendered, then probes hit the real health routes on the port the service listens on', () => {
    for (const deployment of deployments(base)) {
      const [container] = deployment.spec.template.spec.containers;
      if (!container) throw new Error(`${deployment.metadata.name} has no container`);
      const env = environmentOf(base, container);
      const http = container.ports.find((port) => port.name === 'http');

      expect(container.args).toEqual([`services/${deployment.metadata.name}/dist/main.js`]);
      expect(String(http?.containerPort)).toBe(env.PORT);
      expect(container.livenessProbe.httpGet).toEqual({ path: '/api/health', port: 'http' });
      expect(container.readinessProbe.httpGet).toEqual({ path: '/api/health/ready', port: 'http' });
      expect(container.resources.requests.cpu).toMatch(/^\d+m?$/);
      expect(container.resources.requests.memory).toMatch(/^\d+Mi$/);
      expect(container.resources.limits.memory).toMatch(/^\d+Mi$/);
      expect(deployment.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
      expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    }
  });

  it.each([
    ['base', base],
    ['kafka overlay', kafka],
  ])(
    'when the %s is rendered, then every variable is one the service reads and its schema accepts',
    (_name, set) => {
      for (const deployment of deployments(set)) {
        const name = deployment.metadata.name;
        const [container] = deployment.spec.template.spec.containers;
        const env = { ...environmentOf(set, container as Container) };
        for (const [key, value] of Object.entries(TEST_SECRETS)) if (key in env) env[key] = value;

        expect({ name, unknown: unknownNames(name, env) }).toEqual({ name, unknown: [] });
        expect(() => SERVICE_CONFIGS[name]?.load(env)).not.toThrow();
      }
    },
  );

  it('when the placeholder Secret is applied unchanged, then the services refuse to start', () => {
    const [container] = (find(base, 'Deployment', 'auth') as DeploymentJson).spec.template.spec
      .containers;

    expect(() => SERVICE_CONFIGS.auth?.load(environmentOf(base, container as Container))).toThrow(
      /INTERNAL_API_TOKEN/,
    );
  });

  it('when the queue grows, then KEDA scales the ocr-worker on the queue packages/bus names', () => {
    const scaled = find(base, 'ScaledObject', 'ocr-worker') as unknown as {
      spec: {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    const worker = find(base, 'Deployment', 'ocr-worker') as DeploymentJson;
    const env = environmentOf(base, worker.spec.template.spec.containers[0] as Container);

    // No AMQP_QUEUE prefix, so the queue is the subscription name itself.
    expect(env.AMQP_QUEUE).toBeUndefined();
    expect(scaled.spec.scaleTargetRef.name).toBe('ocr-worker');
    expect(scaled.spec.minReplicaCount).toBe(1);
    expect(scaled.spec.maxReplicaCount).toBeGreaterThan(1);
    // The subscriptions of services/ocr-worker/src/main.ts: documents and page jobs.
    expect(scaled.spec.triggers).toEqual([
      expect.objectContaining({
        type: 'rabbitmq',
        metadata: expect.objectContaining({
          queueName: 'ocr-worker',
          mode: 'QueueLength',
        }) as object,
      }),
      expect.objectContaining({
        type: 'rabbitmq',
        metadata: expect.objectContaining({
          queueName: 'ocr-worker.pages',
          mode: 'QueueLength',
        }) as object,
      }),
    ]);
    expect((worker.spec as { replicas?: number }).replicas).toBeUndefined();
  });

  it('when the kafka overlay is used, then scaling follows consumer lag and RabbitMQ is gone', () => {
    const bus = find(kafka, 'ConfigMap', 'readur-bus') as unknown as {
      data: Record<string, string>;
    };
    const scaled = kafka.filter((m) => m.kind === 'ScaledObject') as unknown as {
      spec: { triggers: { type: string; metadata: Record<string, string> }[] };
    }[];

    expect(bus.data).toMatchObject({ AMQP_ENABLED: 'false', KAFKA_ENABLED: 'true' });
    expect(scaled).toHaveLength(1);
    expect(
      scaled[0]?.spec.triggers.map((trigger) => [trigger.type, trigger.metadata.consumerGroup]),
    ).toEqual([
      ['kafka', 'ocr-worker'],
      ['kafka', 'ocr-worker.pages'],
    ]);
    for (const trigger of scaled[0]?.spec.triggers ?? []) {
      expect(trigger.metadata.topic).toBe(bus.data.KAFKA_TOPIC);
    }
    expect(kafka.some((m) => m.kind === 'TriggerAuthentication')).toBe(false);
  });

  it('when the gateway is busy, then an HPA scales it on CPU', () => {
    const hpa = find(base, 'HorizontalPodAutoscaler', 'gateway') as unknown as {
      spec: { scaleTargetRef: { name: string }; metrics: { resource: { name: string } }[] };
    };

    expect(hpa.spec.scaleTargetRef.name).toBe('gateway');
    expect(hpa.spec.metrics[0]?.resource.name).toBe('cpu');
  });

  describe('routing: Ingress (nginx), IngressRoute and deploy/traefik agree', () => {
    const ingresses = base.filter((m) => m.kind === 'Ingress');
    const route = find(base, 'IngressRoute', 'readur') as Manifest;
    const traefikFile = parse(
      fs.readFileSync(path.join(root, 'deploy/traefik/readur.yml'), 'utf8'),
    ) as Record<string, unknown>;

    const middlewares = base.filter((m) => m.kind === 'Middleware');
    const MB = 1_048_576;

    it.each([
      // url, backend, nginx body limit, Traefik body limit (undefined: streamed, the gateway limits)
      ['/api/documents/upload', 'gateway', 500 * MB, undefined],
      ['/api/documents/upload/x', 'gateway', MB, MB],
      ['/api/search', 'gateway', MB, MB],
      ['/api/health/ready', 'gateway', MB, MB],
      ['/ws', 'gateway', MB, undefined],
      ['/internal/documents/1/file', undefined, undefined, undefined],
      ['/metrics', undefined, undefined, undefined],
    ])(
      'when a request for %s arrives, then it goes to %s (nginx limit %s, Traefik limit %s)',
      (url, to, nginxLimit, traefikLimit) => {
        const byIngress = ingressRoute(ingresses, url);
        const byCrd = traefikRoute(route, url, 'crd', middlewares);
        const byFile = traefikRoute(traefikFile, url, 'file');

        expect(byIngress).toEqual(to ? { service: to, bodyLimit: nginxLimit } : undefined);
        expect(byCrd).toEqual(to ? { service: to, bodyLimit: traefikLimit } : undefined);
        expect(byFile).toEqual(
          to ? { service: 'readur-gateway', bodyLimit: traefikLimit } : undefined,
        );
      },
    );
  });
});
