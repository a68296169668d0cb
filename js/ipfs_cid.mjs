// Prints, one per line, the CID that a real IPFS UnixFS importer gives each file named on the command line,
// with the defaults of `ipfs add --cid-version 1`: the reference `vocalis.market.cid` is tested against.
import { importer } from 'ipfs-unixfs-importer'
import { MemoryBlockstore } from 'blockstore-core/memory'
import { readFileSync } from 'node:fs'

const blockstore = new MemoryBlockstore()
for (const path of process.argv.slice(2)) {
  for await (const entry of importer([{ content: readFileSync(path) }], blockstore, { cidVersion: 1 })) {
    console.log(entry.cid.toString())
  }
}
