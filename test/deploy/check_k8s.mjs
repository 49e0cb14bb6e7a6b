// Goal: the Kubernetes manifests in deploy/k8s are valid and hang together, offline.
// Method: every object is validated against the Kubernetes OpenAPI schemas shipped by the npm
// package kubernetes-models; because those schemas accept unknown fields, every field is also
// looked up in the package's type declarations (a typo such as `readinesProbe` fails); then
// the references a schema cannot see are checked: names, selectors, ports, probes, volumes,
// the ConfigMap/Secret keys the init container reads, the PodDisruptionBudget against PBFT's f,
// and genesis/config (from make-config.sh) against the StatefulSet and headless Service.
// `--self-test` applies known-bad mutations and requires each one to be caught.
//
// Usage: node check_k8s.mjs K8S_DIR GENERATED_CONFIG_YAML [--self-test]
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const [k8sDir, generated, mode] = process.argv.slice(2);
const here = path.dirname(fileURLToPath(import.meta.url));
const modelsDir = path.join(here, "node_modules");

const groupModule = {
  v1: "kubernetes-models/v1",
  "apps/v1": "kubernetes-models/apps/v1",
  "policy/v1": "kubernetes-models/policy/v1",
  "networking.k8s.io/v1": "kubernetes-models/networking.k8s.io/v1",
};

// ---- unknown fields, from the .d.ts files of kubernetes-models ------------------------------
const declCache = new Map();
function resolveDecl(fromFile, spec) {
  let p = spec.startsWith(".") ? path.resolve(path.dirname(fromFile), spec) : path.join(modelsDir, spec);
  p = p.replace(/\.js$/, "");
  return p + ".d.ts";
}
function loadDecl(file) {
  if (declCache.has(file)) return declCache.get(file);
  let text = "";
  try { text = fs.readFileSync(file, "utf8"); } catch { declCache.set(file, null); return null; }
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) imports.set(m[1], resolveDecl(file, m[2]));
  const body = text.match(/export interface \w+( extends TypeMeta)? \{\n([\s\S]*?)\n\}/);
  if (!body) { declCache.set(file, null); return null; }
  const fields = new Map();
  if (body[1]) for (const k of ["apiVersion", "kind"]) fields.set(k, { decl: null, isArray: false });
  // One field per line at 4 spaces; a type spanning lines (an inline object) is not descended.
  for (const m of body[2].matchAll(/^ {4}"([^"]+)"\??: (.*)$/gm)) {
    const ref = m[2].match(/\b(IIoK8s\w+)\b/);
    const isArray = m[2].startsWith("Array<");
    const isMap = m[2].includes("[key: string]");
    fields.set(m[1], { decl: ref && !isMap ? imports.get(ref[1]) : null, isArray });
  }
  declCache.set(file, fields);
  return fields;
}
let fieldsChecked = 0;
function unknownFields(value, declFile, where, out) {
  const fields = loadDecl(declFile);
  if (!fields || value === null || typeof value !== "object" || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const f = fields.get(k);
    fieldsChecked++;
    if (!f) { out.push(`${where}.${k}: unknown field`); continue; }
    if (!f.decl) continue;
    if (f.isArray && Array.isArray(v)) v.forEach((x, i) => unknownFields(x, f.decl, `${where}.${k}[${i}]`, out));
    else unknownFields(v, f.decl, `${where}.${k}`, out);
  }
}

// ---- loading ---------------------------------------------------------------------------------
function loadObjects() {
  const kust = parseAllDocuments(fs.readFileSync(path.join(k8sDir, "kustomization.yaml"), "utf8"))[0].toJS();
  const objects = [];
  for (const r of kust.resources) {
    const file = r === path.basename(generated) ? generated : path.join(k8sDir, r);
    for (const doc of parseAllDocuments(fs.readFileSync(file, "utf8"))) {
      if (doc.errors.length) throw new Error(`${r}: ${doc.errors[0].message}`);
      const o = doc.toJS();
      if (o) objects.push({ file: r, o });
    }
  }
  return objects;
}

async function check(objects) {
  const errors = [];
  const err = (m) => errors.push(m);
  const byKind = (k) => objects.filter((x) => x.o.kind === k).map((x) => x.o);
  for (const { file, o } of objects) {
    const where = `${file}: ${o.kind}/${o.metadata?.name}`;
    const mod = groupModule[o.apiVersion];
    if (!mod) { err(`${where}: apiVersion ${o.apiVersion} not checked`); continue; }
    const models = await import(mod);
    const Model = models[o.kind];
    if (!Model) { err(`${where}: no kind ${o.kind} in ${o.apiVersion}`); continue; }
    try { new Model(o).validate(); } catch (e) { err(`${where}: schema: ${e.message}`); }
    const decl = path.join(modelsDir, mod, o.kind + ".d.ts");
    const unknown = [];
    unknownFields(o, decl, where, unknown);
    unknown.forEach(err);
    if (o.kind !== "Namespace" && o.metadata?.namespace !== "jointclear") err(`${where}: not in namespace jointclear`);
  }
  if (!byKind("Namespace").some((n) => n.metadata.name === "jointclear")) err("no Namespace jointclear");

  const [sts] = byKind("StatefulSet");
  if (!sts) return [...errors, "no StatefulSet"];
  const spec = sts.spec, pod = spec.template.spec, labels = spec.template.metadata.labels;
  const matches = (sel) => sel && Object.entries(sel).every(([k, v]) => labels[k] === v);
  const n = spec.replicas;
  const f = Math.floor((n - 1) / 3);
  if (!matches(spec.selector.matchLabels)) err("StatefulSet selector does not match its pod labels");
  if (spec.podManagementPolicy !== "Parallel") err("StatefulSet must use podManagementPolicy Parallel (readiness needs a quorum)");
  const svc = byKind("Service").find((s) => s.metadata.name === spec.serviceName);
  if (!svc) err(`serviceName ${spec.serviceName}: no such Service`);
  else {
    if (svc.spec.clusterIP !== "None") err(`Service ${svc.metadata.name} must be headless`);
    if (svc.spec.publishNotReadyAddresses !== true) err(`Service ${svc.metadata.name} must publish not-ready addresses`);
  }
  const main = pod.containers.find((c) => c.name === "jointcleard");
  if (!main) return [...errors, "no container jointcleard"];
  const portNames = new Map(main.ports.map((p) => [p.name, p.containerPort]));
  for (const s of byKind("Service")) {
    if (!matches(s.spec.selector)) err(`Service ${s.metadata.name} selects no validator pod`);
    for (const p of s.spec.ports) if (!portNames.has(p.targetPort)) err(`Service ${s.metadata.name} targets unknown port ${p.targetPort}`);
  }
  for (const np of byKind("NetworkPolicy")) {
    if (!matches(np.spec.podSelector.matchLabels)) err(`NetworkPolicy ${np.metadata.name} selects no validator pod`);
    for (const rule of np.spec.ingress) for (const p of rule.ports) if (!portNames.has(p.port)) err(`NetworkPolicy port ${p.port} unknown`);
  }
  const pdbs = byKind("PodDisruptionBudget");
  if (pdbs.length !== 1) err(`want one PodDisruptionBudget, have ${pdbs.length}`);
  for (const pdb of pdbs) {
    if (!matches(pdb.spec.selector.matchLabels)) err("PodDisruptionBudget selects no validator pod");
    const maxU = pdb.spec.maxUnavailable ?? (pdb.spec.minAvailable !== undefined ? n - pdb.spec.minAvailable : undefined);
    if (!(Number.isInteger(maxU) && maxU >= 1 && maxU <= f)) err(`PodDisruptionBudget lets ${maxU} go; f = ${f} for ${n} validators`);
  }
  const probe = (p, want) => p?.httpGet?.path === want && portNames.get(p.httpGet.port) === 8000;
  if (!probe(main.readinessProbe, "/readyz")) err("readinessProbe must GET /readyz on the rpc port");
  if (!probe(main.livenessProbe, "/healthz")) err("livenessProbe must GET /healthz on the rpc port");
  for (const c of [...pod.containers, ...(pod.initContainers ?? [])]) {
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) err(`container ${c.name} lacks cpu/memory requests`);
    if (c.image !== main.image) err(`container ${c.name} uses ${c.image}, not ${main.image}`);
    if (c.securityContext?.allowPrivilegeEscalation !== false) err(`container ${c.name} allows privilege escalation`);
    const volumes = new Set([...(pod.volumes ?? []).map((v) => v.name), ...spec.volumeClaimTemplates.map((v) => v.metadata.name)]);
    for (const m of c.volumeMounts ?? []) if (!volumes.has(m.name)) err(`container ${c.name} mounts unknown volume ${m.name}`);
  }
  if (pod.securityContext?.runAsUser !== 10001 || pod.securityContext?.runAsNonRoot !== true) err("pods must run as the image's uid 10001, non-root");
  const image = fs.readFileSync(path.join(k8sDir, "../container/Containerfile"), "utf8");
  if (!/^USER 10001:10001$/m.test(image)) err("the image's USER is not 10001:10001");

  // The consortium's files: every name the init container reads exists in the ConfigMap/Secret.
  const cm = byKind("ConfigMap").find((c) => c.metadata.name === pod.volumes.find((v) => v.configMap)?.configMap.name);
  const secret = byKind("Secret").find((s) => s.metadata.name === pod.volumes.find((v) => v.secret)?.secret.secretName);
  const keysMode = pod.volumes.find((v) => v.secret)?.secret.defaultMode;
  if (keysMode !== 0o440) err(`Secret volume defaultMode ${keysMode}, want 288 (0440): group-readable for the init container only`);
  if (!cm) return [...errors, "the ConfigMap the pods mount does not exist"];
  if (!secret) return [...errors, "the Secret the pods mount does not exist"];
  const init = pod.initContainers.find((c) => c.name === "layout");
  const script = init.command.join("\n");
  const mountOf = (vol) => init.volumeMounts.find((m) => m.name === pod.volumes.find((v) => v[vol])?.name)?.mountPath;
  if (mountOf("configMap") !== "/srv/jointclear/config" || mountOf("secret") !== "/srv/jointclear/keys") err("init container mounts the config or keys elsewhere than its script reads");
  for (let i = 0; i < n; i++) {
    for (const m of script.matchAll(/\$src\/(config|keys)\/([\w.$]+)/g)) {
      const key = m[2].replace("$i", String(i));
      const have = m[1] === "config" ? cm.data : secret.data;
      if (!(key in have)) err(`validator ${i}: ${m[1]} has no ${key}`);
    }
  }
  const configPath = main.args[main.args.indexOf("--config") + 1];
  const nodeMount = main.volumeMounts.find((m) => configPath.startsWith(m.mountPath + "/"));
  if (!nodeMount || !script.includes(configPath)) err(`--config ${configPath} is not what the init container writes`);
  const dataMount = main.volumeMounts.find((m) => m.name === "data")?.mountPath;
  const genesis = JSON.parse(cm.data["genesis.json"]);
  if (genesis.validators.length !== n) err(`genesis has ${genesis.validators.length} validators, StatefulSet ${n} replicas`);
  for (let i = 0; i < genesis.validators.length; i++) {
    const want = `${sts.metadata.name}-${i}.${spec.serviceName}:${portNames.get("p2p")}`;
    if (genesis.validators[i].address !== want) err(`genesis validator ${i} address ${genesis.validators[i].address}, pod is ${want}`);
    const c = JSON.parse(cm.data[`node${i}.config.json`] ?? "{}");
    if (c.validator_index !== i) err(`node${i}.config.json: validator_index ${c.validator_index}`);
    if (c.p2p?.listen !== `0.0.0.0:${portNames.get("p2p")}`) err(`node${i}.config.json: p2p.listen ${c.p2p?.listen}`);
    if (c.rpc?.listen !== `0.0.0.0:${portNames.get("rpc")}`) err(`node${i}.config.json: rpc.listen ${c.rpc?.listen}`);
    if (c.data_dir !== dataMount) err(`node${i}.config.json: data_dir ${c.data_dir}, the volume is at ${dataMount}`);
  }
  return errors;
}

const objects = loadObjects();
const errors = await check(objects);
if (mode !== "--self-test") {
  if (errors.length) { console.error(errors.map((e) => "FAIL: " + e).join("\n")); process.exit(1); }
  // The field check must have walked the manifests, not stopped at an unparsed declaration.
  if (fieldsChecked < 150) { console.error(`FAIL: only ${fieldsChecked} fields checked against the declarations`); process.exit(1); }
  console.log(`check_k8s: ${objects.length} objects valid and consistent (${fieldsChecked} fields known to the API)`);
  process.exit(0);
}
if (errors.length) { console.error("self-test needs clean manifests first:\n" + errors.join("\n")); process.exit(1); }
const sts = (os) => os.find((x) => x.o.kind === "StatefulSet").o;
const mutations = {
  "unknown field": (os) => { sts(os).spec.template.spec.containers[0].readinesProbe = {}; },
  "schema type": (os) => { sts(os).spec.replicas = "four"; },
  "PDB over f": (os) => { os.find((x) => x.o.kind === "PodDisruptionBudget").o.spec.maxUnavailable = 2; },
  "wrong readiness path": (os) => { sts(os).spec.template.spec.containers[0].readinessProbe.httpGet.path = "/healthz"; },
  "service selector": (os) => { os.find((x) => x.o.kind === "Service").o.spec.selector = { app: "other" }; },
  "missing secret key": (os) => { delete os.find((x) => x.o.kind === "Secret").o.data["node3.tls.key"]; },
  "replicas vs genesis": (os) => { sts(os).spec.replicas = 5; },
  "unknown volume": (os) => { sts(os).spec.template.spec.containers[0].volumeMounts[1].name = "date"; },
  "no requests": (os) => { delete sts(os).spec.template.spec.containers[0].resources.requests; },
  "OrderedReady": (os) => { sts(os).spec.podManagementPolicy = "OrderedReady"; },
};
let missed = 0;
for (const [name, mutate] of Object.entries(mutations)) {
  const copy = structuredClone(objects);
  mutate(copy);
  const found = await check(copy);
  if (found.length === 0) { console.error(`self-test: "${name}" was not caught`); missed++; }
}
if (missed) process.exit(1);
console.log(`check_k8s: self-test caught all ${Object.keys(mutations).length} known-bad mutations`);
