// kafkajs's view of a cluster, for cases/cluster_clients.py: for each address given, an admin client
// bootstrapped from that address alone asks describeCluster (Metadata) and the result is printed as one
// JSON line {bootstrap, clusterId, controller, brokers: [{nodeId, host, port}]}; the Python case checks
// them. Exits 1 when a client cannot connect or answer within its timeouts.
//
//   node cluster-brokers.js HOST:PORT [HOST:PORT ...]
'use strict'
const { Kafka, logLevel } = require('kafkajs')

async function describe (bootstrap) {
  const kafka = new Kafka({
    clientId: 'gregor-interop-cluster', brokers: [bootstrap], logLevel: logLevel.WARN,
    connectionTimeout: 3000, requestTimeout: 10000, retry: { retries: 3 },
  })
  const admin = kafka.admin()
  await admin.connect()
  try {
    const cluster = await admin.describeCluster()
    const brokers = cluster.brokers.map(b => ({ nodeId: b.nodeId, host: b.host, port: b.port }))
      .sort((a, b) => a.nodeId - b.nodeId)
    return { bootstrap, clusterId: cluster.clusterId, controller: cluster.controller, brokers }
  } finally {
    await admin.disconnect()
  }
}

async function main (addresses) {
  if (addresses.length === 0) throw new Error('usage: node cluster-brokers.js HOST:PORT [HOST:PORT ...]')
  for (const address of addresses) console.log(JSON.stringify(await describe(address)))
}

main(process.argv.slice(2)).catch(error => { console.error(error.stack || error); process.exit(1) })
