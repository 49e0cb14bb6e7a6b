// Goal: deploy/compose/compose.yaml runs the consortium prepare.sh makes, and publishes nothing
// but RPC on the host's 127.0.0.1. Method: parse the file and check each validator service
// against the config jointclear init wrote for it (the container test runs it for real).
// Usage: node check_compose.mjs COMPOSE_YAML CONSORTIUM_DIR
import fs from "node:fs";
import { parse } from "yaml";

const [file, dir] = process.argv.slice(2);
// Variables take their defaults, as with an empty environment.
const text = fs.readFileSync(file, "utf8").replace(/\$\{(\w+):-([^}]*)\}/g, (_, name, dflt) => dflt);
if (/\$\{/.test(text)) throw new Error("a variable without a default");
const compose = parse(text, { merge: true });
const hostPorts = new Set();
const errors = [];
const genesis = JSON.parse(fs.readFileSync(`${dir}/genesis.json`, "utf8"));
const services = Object.keys(compose.services).sort();
const want = genesis.validators.map((_, i) => `node${i}`);
if (JSON.stringify(services) !== JSON.stringify(want)) errors.push(`services ${services}, genesis wants ${want}`);
for (const [i, v] of genesis.validators.entries()) {
  const s = compose.services[`node${i}`];
  if (!s) continue;
  const config = JSON.parse(fs.readFileSync(`${dir}/node${i}/config.json`, "utf8"));
  const [host, p2pPort] = v.address.split(":");
  if (host !== `node${i}`) errors.push(`genesis validator ${i} dials ${host}, the service is node${i}`);
  if (config.p2p.listen !== `0.0.0.0:${p2pPort}`) errors.push(`node${i} p2p.listen ${config.p2p.listen}`);
  const rpcPort = config.rpc.listen.split(":")[1];
  if ((s.ports ?? []).length !== 1) errors.push(`node${i} publishes ${JSON.stringify(s.ports)}`);
  for (const p of s.ports ?? []) {
    const m = String(p).match(/^127\.0\.0\.1:(\d+):(\d+)$/);
    if (!m) errors.push(`node${i} publishes ${p}: only RPC, only on 127.0.0.1`);
    else {
      if (m[2] !== rpcPort) errors.push(`node${i} publishes container port ${m[2]}, RPC is on ${rpcPort}`);
      if (hostPorts.has(m[1])) errors.push(`host port ${m[1]} published twice`);
      hostPorts.add(m[1]);
    }
  }
  const mounts = s.volumes ?? [];
  const target = (t) => mounts.find((m) => m.split(":")[1] === t);
  if (!mounts.every((m) => /^[^:]+:[^:]+(:ro)?$/.test(m))) errors.push(`node${i} has a malformed volume`);
  if (!target("/etc/jointclear/node")?.includes(`/node${i}:`)) errors.push(`node${i} does not mount its own node directory`);
  if (!target("/etc/jointclear/genesis.json") || !target("/etc/jointclear/ca.crt")) errors.push(`node${i} lacks genesis.json or ca.crt`);
  const data = target(config.data_dir);
  if (!data || !(data.split(":")[0] in (compose.volumes ?? {}))) errors.push(`node${i}: data_dir ${config.data_dir} is not on a named volume`);
  if (!(s.networks ?? []).every((n) => n in (compose.networks ?? {}))) errors.push(`node${i} joins an undeclared network`);
  if (s.read_only !== true || !(s.cap_drop ?? []).includes("ALL")) errors.push(`node${i} is not read-only with all capabilities dropped`);
}
if (errors.length) { console.error(errors.map((e) => "FAIL: " + e).join("\n")); process.exit(1); }
console.log(`check_compose: ${services.length} validator services consistent with the consortium`);
