// Compiles the whitelist contract with solc-js (npm `solc`, pinned) through standard JSON, resolving
// `@openzeppelin/...` imports from node_modules. Writes ClayStackWhitelist.json (ABI, bytecode, compiler
// settings). `node compile.js --stdout` prints the artifact instead, so a test can compare it with the
// committed file.
"use strict";
const fs = require("fs");
const path = require("path");
const solc = require("solc");

const HERE = __dirname;
const ROOT = path.resolve(HERE, "..", "..");
const SOURCE = "ClayStackWhitelist.sol";
const SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  // Explicit: the compiler's default moves with its version; Prague is live on mainnet and on anvil 1.7.
  evmVersion: "prague",
  outputSelection: { "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] } },
};

function findImports(importPath) {
  if (!importPath.startsWith("@openzeppelin/")) {
    return { error: `Import ${importPath} is not allowed: only @openzeppelin/... from node_modules` };
  }
  const file = path.join(ROOT, "node_modules", importPath);
  try {
    return { contents: fs.readFileSync(file, "utf8") };
  } catch (err) {
    return { error: `Cannot read ${file}: run npm ci first (${err.message})` };
  }
}

const input = {
  language: "Solidity",
  sources: { [SOURCE]: { content: fs.readFileSync(path.join(HERE, SOURCE), "utf8") } },
  settings: SETTINGS,
};
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }));
const errors = (output.errors || []).filter((e) => e.severity === "error");
for (const e of output.errors || []) process.stderr.write(e.formattedMessage + "\n");
if (errors.length) process.exit(1);

const contract = output.contracts[SOURCE].ClayStackWhitelist;
const artifact = {
  contractName: "ClayStackWhitelist",
  compiler: { name: "solc-js", version: solc.version(), settings: { optimizer: SETTINGS.optimizer, evmVersion: SETTINGS.evmVersion } },
  openzeppelin: require(path.join(ROOT, "node_modules", "@openzeppelin", "contracts", "package.json")).version,
  abi: contract.abi,
  bytecode: "0x" + contract.evm.bytecode.object,
  deployedBytecode: "0x" + contract.evm.deployedBytecode.object,
};
const text = JSON.stringify(artifact, null, 2) + "\n";
if (process.argv.includes("--stdout")) {
  process.stdout.write(text);
} else {
  fs.writeFileSync(path.join(HERE, "ClayStackWhitelist.json"), text);
  process.stdout.write(`Wrote ${path.join(HERE, "ClayStackWhitelist.json")}\n`);
}
