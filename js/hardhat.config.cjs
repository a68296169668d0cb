// A real local EVM node for the market's tests (`npx hardhat node`): Cancun, as the contract is compiled for.
module.exports = { networks: { hardhat: { hardfork: 'cancun', chainId: 31337 } } }
