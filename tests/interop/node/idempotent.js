// kafkajs as an idempotent producer (idempotent: true, which makes it ask InitProducerId for a producer id and
// number its batches): sends `count` records with values "<label> <i>" to `topic` through `bootstrap` and prints
// {"sent": count} once every send was acknowledged. Run by cases/idempotent_producers.py.
//   node idempotent.js BOOTSTRAP TOPIC COUNT LABEL
'use strict'
const { Kafka, Partitioners, logLevel } = require('kafkajs')
const { log, check } = require('./members')

const [bootstrap, topic, countText, label] = process.argv.slice(2)
const count = Number(countText)
check(bootstrap && topic && count > 0 && label, 'usage: node idempotent.js BOOTSTRAP TOPIC COUNT LABEL')

async function main () {
  const kafka = new Kafka({ clientId: 'gregor-interop-idempotent', brokers: bootstrap.split(','), logLevel: logLevel.WARN })
  // kafkajs keeps ordering with idempotence only with one request in flight.
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    const batch = 500
    for (let start = 0; start < count; start += batch) {
      const messages = []
      for (let i = start; i < Math.min(count, start + batch); i++) messages.push({ key: `k${i % 97}`, value: `${label} ${i}` })
      const results = await producer.send({ topic, acks: -1, messages })
      for (const result of results) check(result.errorCode === 0, `send to ${topic}: ${JSON.stringify(result)}`)
    }
  } finally {
    await producer.disconnect()
  }
  log(`kafkajs sent ${count} records to ${topic} through ${bootstrap} idempotently`)
  console.log(JSON.stringify({ sent: count }))
}

main().catch(error => { console.error(error); process.exit(1) })
