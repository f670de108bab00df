import { request as httpRequest } from "node:http";
import { Agent, request as httpsRequest, type RequestOptions } from "node:https";
import { KubeConfig } from "@kubernetes/client-node";
import { throwIfAborted } from "../../common/attempt.js";
import { envVar } from "../../common/environment.js";
import { errorMessage, StoreshiftError } from "../../common/errors.js";

/**
 * A small JSON REST client over one keep-alive agent. @kubernetes/client-node's KubeConfig supplies
 * the server, TLS material and credentials; requests go straight through node:https so import and the
 * benchmark's raw baseline share exactly the same transport, and status codes stay visible.
 */
/** Per request; STORESHIFT_KUBE_TIMEOUT_MS overrides it (a 10k-object list answers in about 2 s). */
export const KUBE_REQUEST_TIMEOUT_MS = Number(envVar("STORESHIFT_KUBE_TIMEOUT_MS") ?? 30_000);

export class KubeRest {
  private readonly agent: Agent;
  private readonly base: URL;
  private options?: RequestOptions;

  constructor(
    readonly kubeConfig: KubeConfig,
    maxSockets = 64,
    /** Once aborted, no request is sent and those in flight are cut (a cancelled migration). */
    readonly signal?: AbortSignal,
  ) {
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new StoreshiftError("kubernetes: the kubeconfig has no current cluster");
    this.base = new URL(cluster.server);
    this.agent = new Agent({ keepAlive: true, maxSockets });
  }

  static fromFile(path: string): KubeRest {
    const kc = new KubeConfig();
    try {
      kc.loadFromFile(path);
    } catch (err) {
      throw new StoreshiftError(`kubernetes: cannot load kubeconfig ${path}: ${(err as Error).message}`);
    }
    return new KubeRest(kc);
  }

  get server(): string {
    return this.base.origin;
  }

  private async requestOptions(): Promise<RequestOptions> {
    if (!this.options) {
      const opts: RequestOptions = {};
      await this.kubeConfig.applyToHTTPSOptions(opts);
      this.options = opts;
    }
    return this.options;
  }

  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    throwIfAborted(this.signal, `kubernetes ${method} ${path}`);
    const base = await this.requestOptions();
    throwIfAborted(this.signal, `kubernetes ${method} ${path}`);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string | number> = {
      ...((base.headers as Record<string, string>) ?? {}),
      Accept: "application/json",
    };
    if (payload) {
      headers["Content-Type"] = "application/json";
      headers["Content-Length"] = payload.length;
    }
    const isHttps = this.base.protocol === "https:";
    const send = isHttps ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      // a cut request says it was cancelled, not "The operation was aborted" with no object
      const fail = (err: Error) =>
        reject(
          this.signal?.aborted
            ? new StoreshiftError(
                `kubernetes ${method} ${path}: cancelled (${errorMessage(this.signal.reason)})`,
              )
            : new StoreshiftError(`kubernetes ${method} ${path}: ${err.message}`),
        );
      const req = send(
        {
          ...base,
          agent: isHttps ? this.agent : undefined,
          hostname: this.base.hostname,
          port: this.base.port,
          method,
          path,
          headers,
          signal: this.signal,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString();
            let parsed: unknown = text;
            try {
              parsed = text ? JSON.parse(text) : undefined;
            } catch {
              // non-JSON error pages stay as text
            }
            resolve({ status: res.statusCode ?? 0, body: parsed });
          });
          res.on("error", fail);
        },
      );
      req.on("error", fail);
      // an API server whose etcd died accepts the request and never answers: fail the step instead
      req.setTimeout(KUBE_REQUEST_TIMEOUT_MS, () =>
        req.destroy(new Error(`no answer within ${KUBE_REQUEST_TIMEOUT_MS} ms`)),
      );
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** Like request, but a status outside 2xx becomes a one-line error naming method, path and reason. */
  async expect(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.request(method, path, body);
    if (res.status < 200 || res.status > 299) throw new KubeError(method, path, res.status, res.body);
    return res.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

export class KubeError extends StoreshiftError {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    const message =
      typeof body === "object" && body !== null && "message" in body
        ? String((body as { message: unknown }).message)
        : String(body ?? "");
    super(`kubernetes ${method} ${path}: HTTP ${status}: ${message.split("\n")[0]}`);
  }
}

export function isStatus(err: unknown, status: number): boolean {
  return err instanceof KubeError && err.status === status;
}
