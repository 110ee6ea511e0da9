// Drives kafkajs against the capture broker: node kafkajs-client.js <host:port> <scenario>
// Scenarios: produce-none, produce-gzip, produce-idempotent, consume.
// kafkajs is resolved from tests/interop/node (scripts/install-clients.sh installs it).
'use strict'

const path = require('path')
const { Kafka, CompressionTypes, logLevel } = require(
  require.resolve('kafkajs', { paths: [path.join(__dirname, '../../interop/node')] }))

const [broker, scenario] = process.argv.slice(2)
const messages = [1, 2, 3].map(i => ({ key: `key-${i}`, value: `value-${i}`, headers: { a: 'b' } }))
const kafka = new Kafka({ clientId: 'kafkajs', brokers: [broker], logLevel: logLevel.NOTHING, retry: { retries: 2 } })

async function produce (compression, idempotent) {
  const producer = kafka.producer({ idempotent, allowAutoTopicCreation: false })
  await producer.connect()
  const result = await producer.send({ topic: 'golden', acks: -1, compression, messages })
  await producer.disconnect()
  console.log(JSON.stringify(result))
}

async function consume () {
  const consumer = kafka.consumer({ groupId: 'golden-group', allowAutoTopicCreation: false })
  await consumer.connect()
  await consumer.subscribe({ topic: 'golden', fromBeginning: true })
  const received = new Promise((resolve, reject) => {
    consumer.run({
      autoCommit: true,
      eachMessage: async ({ message }) => {
        const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, v.toString()]))
        resolve({ key: message.key.toString(), value: message.value.toString(), headers })
      }
    }).catch(reject)
  })
  const timeout = new Promise((resolve, reject) => setTimeout(() => reject(new Error('no message in 20 s')), 20000))
  const message = await Promise.race([received, timeout])
  await consumer.commitOffsets([{ topic: 'golden', partition: 0, offset: '1' }])
  await consumer.disconnect()
  console.log(JSON.stringify(message))
}

const scenarios = {
  'produce-none': () => produce(CompressionTypes.None, false),
  'produce-gzip': () => produce(CompressionTypes.GZIP, false),
  'produce-idempotent': () => produce(CompressionTypes.None, true),
  consume
}

if (!scenarios[scenario]) {
  console.error(`unknown scenario ${scenario}; one of ${Object.keys(scenarios).join(', ')}`)
  process.exit(2)
}
scenarios[scenario]().then(() => process.exit(0), error => {
  console.error(error)
  process.exit(1)
})
