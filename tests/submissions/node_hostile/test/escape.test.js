const test = require("node:test");
const assert = require("node:assert");
const fs = require("node:fs");
const net = require("node:net");
const path = require("node:path");

const root = path.join(__dirname, "..");
const config = JSON.parse(fs.readFileSync(path.join(root, "hostile.json"), "utf8"));

function reaches(host, port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, timeout: 3000 });
    socket.on("connect", () => { socket.destroy(); resolve(true); });
    socket.on("error", () => resolve(false));
    socket.on("timeout", () => { socket.destroy(); resolve(false); });
  });
}

test("no install script ran", () => {
  const ran = fs.readdirSync(root).filter((name) => name.startsWith("SCRIPT_RAN_"));
  assert.deepStrictEqual(ran, []);
});

test("the dependency came from the registry", () => {
  assert.strictEqual(require("ms")("1h"), 3600000);
});

test("the network is shut, loopback included", async () => {
  assert.strictEqual(await reaches("127.0.0.1", 5432), false);
  assert.strictEqual(await reaches("127.0.0.1", config.port), false);
});

test("nothing outside the folder is writable", () => {
  for (const target of ["/etc/hostile", "/usr/hostile", "/hostile"]) {
    assert.throws(() => fs.writeFileSync(target, "x"));
  }
});
