import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { execa } from "execa";
import { requireBinary } from "../../binaries/install.js";
import type { Binary } from "../../binaries/locate.js";
import { registerCleanup } from "../../common/cleanup.js";
import { envVar } from "../../common/environment.js";
import { StoreshiftError } from "../../common/errors.js";
import { log } from "../../common/log.js";
import { makeTempDir, removeDir } from "../../common/temp.js";
import { waitUntil } from "../../common/wait.js";
import { ManagedProcess } from "../../process/managed-process.js";
import { freePorts } from "../../process/ports.js";
import { type ControlPlanePki, cachedControlPlanePki, writeKubeconfig } from "../../tls/throwaway-ca.js";
import { type StartedLocalEtcd, startLocalEtcd } from "../etcd/local-etcd.js";
import { type ClientTls, httpsGet, loadClientTls } from "./https-probe.js";

export interface LocalControlPlaneOptions {
  name?: string;
  startTimeoutMs?: number;
  /** Extra kube-apiserver flags, appended last so they win. */
  extraArgs?: string[];
  /** The kube-apiserver to run (another Kubernetes minor); default: the one `locate` finds. */
  binary?: Binary;
}

/**
 * envtest-style flags. Pure, so the flag set is tested without a build. `advertiseAddress` is only
 * passed when the host has no default route: kube-apiserver rejects loopback and cannot guess then.
 */
export function apiserverArgs(o: {
  etcdUrl: string;
  port: number;
  pki: ControlPlanePki;
  advertiseAddress?: string;
  extraArgs?: string[];
}): string[] {
  const args = [
    `--etcd-servers=${o.etcdUrl}`,
    `--secure-port=${o.port}`,
    "--bind-address=127.0.0.1",
    `--tls-cert-file=${o.pki.serverCert}`,
    `--tls-private-key-file=${o.pki.serverKey}`,
    `--client-ca-file=${o.pki.caCert}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=https://127.0.0.1:${o.port}/`,
    `--service-account-key-file=${o.pki.serviceAccountPublicKey}`,
    `--service-account-signing-key-file=${o.pki.serviceAccountKey}`,
    "--service-cluster-ip-range=10.0.0.0/24",
    "--allow-privileged=true",
    // no controller-manager runs, so nothing would create default service accounts
    "--disable-admission-plugins=ServiceAccount",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
    "--v=0",
  ];
  if (o.advertiseAddress) args.push(`--advertise-address=${o.advertiseAddress}`);
  return args.concat(o.extraArgs ?? []);
}

let defaultRoute: Promise<boolean> | undefined;

/** Asked once per process: routes do not come and go between two control planes of one run. */
function hasDefaultRoute(): Promise<boolean> {
  defaultRoute ??= askDefaultRoute();
  return defaultRoute;
}

async function askDefaultRoute(): Promise<boolean> {
  const result = await execa("ip", ["route", "show", "default"], { reject: false, stdin: "ignore" });
  if (result.exitCode !== 0) return true; // no iproute2: let kube-apiserver decide
  return result.stdout.trim() !== "";
}

function firstNonLoopbackIPv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}

/** A running local control plane: its own etcd 3.6, kube-apiserver, PKI and kubeconfig. */
export class StartedLocalControlPlane {
  private stopped = false;
  constructor(
    readonly name: string,
    readonly server: string,
    readonly kubeconfigPath: string,
    readonly etcd: StartedLocalEtcd,
    readonly apiserver: ManagedProcess,
    readonly binary: Binary,
    readonly dir: string,
    private readonly tls: ClientTls,
    private readonly startTimeoutMs: number,
    private readonly unregister: () => void,
  ) {}

  /** The backing etcd's client URL, for reading raw /registry/... keys. */
  get etcdEndpoint(): string {
    return this.etcd.endpoints[0] ?? "";
  }
  get version(): string {
    return this.binary.version;
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromFile(this.kubeconfigPath);
    return kc;
  }

  async get(path: string): Promise<{ status: number; body: string }> {
    return httpsGet(`${this.server}${path}`, this.tls);
  }

  async waitReady(): Promise<void> {
    await waitUntil(
      `kube-apiserver at ${this.server} /readyz`,
      async () => (await this.get("/readyz")).status === 200,
      // a local probe costs well under a millisecond of the server's time; polling every 100 ms
      // added 50 ms to every start on average
      { timeoutMs: this.startTimeoutMs, intervalMs: 20, abort: () => this.apiserver.exitReason() },
    );
  }

  /** Restarts kube-apiserver only; etcd and the data stay. */
  async restartApiserver(): Promise<void> {
    await this.apiserver.stop();
    this.apiserver.start();
    await this.waitReady();
  }

  /** Leaves the control plane running past this process: no cleanup-on-exit will stop it. */
  detach(): void {
    this.stopped = true;
    this.apiserver.detach();
    this.etcd.detach();
    this.unregister();
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.apiserver.stop();
    await this.etcd.stop(options);
    if (!options.keepData) await removeDir(this.dir);
    this.unregister();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }
}

export async function startLocalControlPlane(
  options: LocalControlPlaneOptions = {},
): Promise<StartedLocalControlPlane> {
  const name = options.name ?? "storeshift-local";
  const timeout =
    options.startTimeoutMs ?? Number(envVar("KUBEBUILDER_CONTROLPLANE_START_TIMEOUT_MS") ?? 60_000);
  const binary = options.binary ?? (await requireBinary("kube-apiserver"));
  const dir = await makeTempDir("control-plane");
  // from its first instant the dir is someone's to remove: a signal may come before the handle exists
  const forgetDir = registerCleanup(`control plane ${name} dir`, () => removeDir(dir));
  let etcd: StartedLocalEtcd | undefined;
  try {
    const [pki, etcdStarted, [port], routed] = await Promise.all([
      cachedControlPlanePki(dir),
      startLocalEtcd({ line: "current", name: `${name}-etcd` }),
      freePorts(1),
      hasDefaultRoute(),
    ]);
    etcd = etcdStarted;
    if (port === undefined) throw new Error("no free port");
    const advertiseAddress = routed ? undefined : firstNonLoopbackIPv4();
    const server = `https://127.0.0.1:${port}`;
    const kubeconfigPath = join(dir, "kubeconfig");
    await writeKubeconfig(kubeconfigPath, { server, pki, name });
    const apiserver = new ManagedProcess({
      name: "kube-apiserver",
      command: binary.path,
      args: apiserverArgs({
        etcdUrl: etcd.endpoints[0] ?? "",
        port,
        pki,
        advertiseAddress,
        extraArgs: options.extraArgs,
      }),
      logFile: join(dir, "kube-apiserver.log"),
    });
    const tls = await loadClientTls({ ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey });
    let handle: StartedLocalControlPlane | undefined;
    const unregisterHandle = registerCleanup(`control plane ${name}`, async () => handle?.stop());
    const unregister = () => {
      unregisterHandle();
      forgetDir();
    };
    handle = new StartedLocalControlPlane(
      name,
      server,
      kubeconfigPath,
      etcd,
      apiserver,
      binary,
      dir,
      tls,
      timeout,
      unregister,
    );
    const started = Date.now();
    apiserver.start();
    try {
      apiserver.assertSpawned();
      await handle.waitReady();
    } catch (err) {
      await handle.stop();
      throw err;
    }
    log.debug(`control plane ${name} ready in ${Date.now() - started} ms at ${server}`);
    return handle;
  } catch (err) {
    await etcd?.stop();
    await removeDir(dir);
    forgetDir();
    throw new StoreshiftError(`start local control plane ${name}: ${(err as Error).message}`, { cause: err });
  }
}
