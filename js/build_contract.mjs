// Compiles contracts/VoiceMarket.sol with the pinned solc and OpenZeppelin (js/package-lock.json) and writes
// its ABI and bytecode to src/vocalis/market/contracts/VoiceMarket.json. Same inputs, same bytes: the test
// suite rebuilds it and compares. Usage: node js/build_contract.mjs [OUTPUT.json]
import solc from 'solc'
import { createHash } from 'node:crypto'
import { readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const sourcePath = 'contracts/VoiceMarket.sol'
const source = readFileSync(join(root, sourcePath), 'utf8')
const settings = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } }
}
const input = { language: 'Solidity', sources: { [sourcePath]: { content: source } }, settings }
const findImports = (path) => {
  try {
    return { contents: readFileSync(join(root, 'js', 'node_modules', path), 'utf8') }
  } catch {
    return { error: `not found: ${path}` }
  }
}
const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports }))
const errors = (output.errors || []).filter((e) => e.severity === 'error')
if (errors.length) {
  console.error(errors.map((e) => e.formattedMessage).join('\n'))
  process.exit(1)
}
const contract = output.contracts[sourcePath].VoiceMarket
const built = {
  contractName: 'VoiceMarket',
  compiler: { solc: solc.version(), settings: { optimizer: settings.optimizer, evmVersion: settings.evmVersion } },
  sourceSha256: createHash('sha256').update(source).digest('hex'),
  abi: contract.abi,
  bytecode: '0x' + contract.evm.bytecode.object,
  deployedBytecode: '0x' + contract.evm.deployedBytecode.object
}
const target = process.argv[2] || join(root, 'src', 'vocalis', 'market', 'contracts', 'VoiceMarket.json')
writeFileSync(target, JSON.stringify(built, null, 1) + '\n')
console.error(`wrote ${target} (solc ${solc.version()}, ${contract.evm.deployedBytecode.object.length / 2} bytes deployed)`)
