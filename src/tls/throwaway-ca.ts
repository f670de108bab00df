import { chmod, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { execa } from "execa";
import { registerCleanup } from "../common/cleanup.js";
import { StoreshiftError } from "../common/errors.js";
import { makeTempDir, removeDir } from "../common/temp.js";

/**
 * A throwaway PKI for one local control plane, made with the system's openssl: a CA, a serving
 * certificate for 127.0.0.1/localhost, an admin client certificate in system:masters (x509 auth,
 * as envtest does, so RBAC is real) and a service-account signing key. Keys are written 0600.
 */
export interface ControlPlanePki {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  adminCert: string;
  adminKey: string;
  serviceAccountKey: string;
  serviceAccountPublicKey: string;
}

const VALID_DAYS = "2";

async function openssl(args: string[], what: string): Promise<void> {
  const result = await execa("openssl", args, { reject: false, stdin: "ignore", all: true });
  if (result.exitCode !== 0) {
    throw new StoreshiftError(
      `${what}: openssl ${args[0]} failed: ${(result.all ?? "").trim().split("\n")[0]}`,
    );
  }
}

async function newKey(path: string): Promise<void> {
  await openssl(
    ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", path],
    `key ${path}`,
  );
  await chmod(path, 0o600);
}

async function signed(
  dir: string,
  name: string,
  subject: string,
  extensions: string,
  ca: { cert: string; key: string },
): Promise<{ cert: string; key: string }> {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.crt`);
  const ext = join(dir, `${name}.ext`);
  await newKey(key);
  await writeFile(ext, extensions);
  await openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr], `certificate request ${name}`);
  await openssl(
    [
      "x509",
      "-req",
      "-in",
      csr,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-days",
      VALID_DAYS,
    ].concat(["-sha256", "-extfile", ext, "-out", cert]),
    `sign ${name}`,
  );
  return { cert, key };
}

export async function createControlPlanePki(dir: string): Promise<ControlPlanePki> {
  const caKey = join(dir, "ca.key");
  const caCert = join(dir, "ca.crt");
  await newKey(caKey);
  await openssl(
    ["req", "-x509", "-new", "-key", caKey, "-subj", "/CN=storeshift-throwaway-ca", "-days", VALID_DAYS]
      .concat([
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ])
      .concat(["-out", caCert]),
    "throwaway CA",
  );
  const ca = { cert: caCert, key: caKey };
  const server = await signed(
    dir,
    "apiserver",
    "/CN=kube-apiserver",
    "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n",
    ca,
  );
  const admin = await signed(
    dir,
    "admin",
    "/O=system:masters/CN=storeshift-admin",
    "extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n",
    ca,
  );
  const serviceAccountKey = join(dir, "service-account.key");
  await newKey(serviceAccountKey);
  const serviceAccountPublicKey = join(dir, "service-account.pub");
  await openssl(
    ["pkey", "-in", serviceAccountKey, "-pubout", "-out", serviceAccountPublicKey],
    "service-account key",
  );
  return {
    serviceAccountPublicKey,
    caCert,
    caKey,
    serverCert: server.cert,
    serverKey: server.key,
    adminCert: admin.cert,
    adminKey: admin.key,
    serviceAccountKey,
  };
}

/** The PKI's files as bytes, by field, made once per process. */
type PkiFiles = Record<keyof ControlPlanePki, Buffer>;
let cached: { files: Promise<PkiFiles>; madeAt: number } | undefined;
/** Certificates are valid for 2 days; a process older than one makes a new set. */
const CACHE_MAX_AGE_MS = 24 * 3600 * 1000;

async function makePkiFiles(): Promise<PkiFiles> {
  const dir = await makeTempDir("pki");
  // a signal while openssl runs must still remove the dir: no control plane owns it yet
  const unregister = registerCleanup(`throwaway PKI in ${dir}`, () => removeDir(dir));
  try {
    const pki = await createControlPlanePki(dir);
    const entries = await Promise.all(
      (Object.keys(pki) as (keyof ControlPlanePki)[]).map(async (k) => [k, await readFile(pki[k])] as const),
    );
    return Object.fromEntries(entries) as PkiFiles;
  } finally {
    unregister();
    await removeDir(dir);
  }
}

/**
 * The same throwaway PKI for every control plane this process starts, written into `dir`: about ten
 * openssl runs happen once per process (per worker) instead of once per control plane. Each plane
 * still gets its own copy of the files, so stopping one never touches another's. Sharing is harmless
 * for throwaway local stores: every plane serves 127.0.0.1 only.
 */
export async function cachedControlPlanePki(dir: string): Promise<ControlPlanePki> {
  if (!cached || Date.now() - cached.madeAt > CACHE_MAX_AGE_MS) {
    const files = makePkiFiles();
    cached = { files, madeAt: Date.now() };
    files.catch(() => {
      if (cached?.files === files) cached = undefined;
    });
  }
  const files = await cached.files;
  const names: ControlPlanePki = {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "apiserver.crt"),
    serverKey: join(dir, "apiserver.key"),
    adminCert: join(dir, "admin.crt"),
    adminKey: join(dir, "admin.key"),
    serviceAccountKey: join(dir, "service-account.key"),
    serviceAccountPublicKey: join(dir, "service-account.pub"),
  };
  await Promise.all(
    (Object.keys(names) as (keyof ControlPlanePki)[]).map((k) =>
      writeFile(names[k], files[k], { mode: names[k].endsWith(".key") ? 0o600 : 0o644 }),
    ),
  );
  return names;
}

/** A kubeconfig with the certificates embedded, so it works after the PKI dir is gone. Mode 0600. */
export async function writeKubeconfig(
  path: string,
  options: { server: string; pki: ControlPlanePki; name: string },
): Promise<void> {
  const b64 = async (file: string) => (await readFile(file)).toString("base64");
  const text = [
    "apiVersion: v1",
    "kind: Config",
    "clusters:",
    `- name: ${options.name}`,
    "  cluster:",
    `    server: ${options.server}`,
    `    certificate-authority-data: ${await b64(options.pki.caCert)}`,
    "users:",
    "- name: storeshift-admin",
    "  user:",
    `    client-certificate-data: ${await b64(options.pki.adminCert)}`,
    `    client-key-data: ${await b64(options.pki.adminKey)}`,
    "contexts:",
    `- name: ${options.name}`,
    "  context:",
    `    cluster: ${options.name}`,
    "    user: storeshift-admin",
    `current-context: ${options.name}`,
    "",
  ].join("\n");
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
}
