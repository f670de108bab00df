import { readFile } from "node:fs/promises";
import { request } from "node:https";

export interface ClientTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

export async function loadClientTls(files: { ca: string; cert: string; key: string }): Promise<ClientTls> {
  const [ca, cert, key] = await Promise.all([readFile(files.ca), readFile(files.cert), readFile(files.key)]);
  return { ca, cert, key };
}

/** GET over mutual TLS; resolves with status and body. Node's fetch cannot take a client cert. */
export function httpsGet(
  url: string,
  tls: ClientTls,
  timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", ...tls, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }),
      );
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`GET ${url}: timed out after ${timeoutMs} ms`)));
    req.on("error", reject);
    req.end();
  });
}
