// kafkajs produces keyed messages with headers, explicit timestamps and some null values into a
// 2-partition topic per codec kafkajs can use here (none, gzip, snappy, lz4; see README for zstd),
// and `gregor consume --output json` reads each topic back identically: key, value (null stays
// null), headers and timestamp of every message, each partition's offsets 0..n-1 in send order.
'use strict'
const { spawnSync } = require('child_process')
const { Kafka, CompressionTypes, CompressionCodecs, Partitioners, logLevel } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const LZ4Codec = require('kafkajs-lz4')
const { log, check } = require('./members')

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec

const COUNT = 10000
const PARTITIONS = 2
const bootstrap = process.env.GREGOR_BOOTSTRAP
const dll = process.env.GREGOR_DLL
if (!bootstrap || !dll) throw new Error('GREGOR_BOOTSTRAP and GREGOR_DLL must be set; run through tests/interop/run.sh')
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4 }

const suffix = Math.random().toString(16).slice(2, 10)
const kafka = new Kafka({ clientId: 'gregor-interop-to-gregor', brokers: [bootstrap], logLevel: logLevel.WARN })

function message (i, baseTimestamp) {
  return {
    key: `key-${i % 3000}`,
    value: i % 1001 === 5 ? null : `kafkajs ${i} ${'ß'.repeat(i % 40)}`,
    headers: { seq: `${i}`, codec: 'kafkajs', empty: '' },
    timestamp: `${baseTimestamp + i}`,
  }
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    for (const [codecName, codec] of Object.entries(codecs)) {
      const topic = `kafkajs-to-gregor-${codecName}-${suffix}`
      check(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }), `create ${topic}`)
      const baseTimestamp = Date.now() - 50000
      const sent = []
      for (let first = 0; first < COUNT; first += 1000) {
        const messages = []
        for (let i = first; i < first + 1000; i++) messages.push(message(i, baseTimestamp))
        await producer.send({ topic, acks: -1, compression: codec, messages })
        sent.push(...messages)
      }

      const run = spawnSync('dotnet', [dll, 'consume', topic, '-b', bootstrap, '--from-beginning', '--output', 'json',
        '--count', `${COUNT}`, '--timeout-ms', '10000'], { encoding: 'utf8', maxBuffer: 256 << 20 })
      check(run.status === 0, `gregor consume exited ${run.status}: ${run.stderr}`)
      const records = run.stdout.split('\n').filter(line => line.length > 0).map(line => JSON.parse(line))
      check(records.length === COUNT, `${codecName}: gregor consume printed ${records.length} records of ${COUNT}`)

      const next = Array(PARTITIONS).fill(0)
      const lastSeq = Array(PARTITIONS).fill(-1)
      const seen = new Set()
      for (const r of records) {
        check(r.offset === next[r.partition]++, `${codecName}: ${r.partition}/${r.offset} out of sequence`)
        const headers = Object.fromEntries(r.headers.map(h => [h.key, h.value]))
        const seq = Number(headers.seq)
        check(seq > lastSeq[r.partition], `${codecName}: partition ${r.partition} not in send order at seq ${seq}`)
        lastSeq[r.partition] = seq
        const expected = sent[seq]
        check(r.key === expected.key, `${codecName} #${seq}: key ${r.key}`)
        check(r.value === expected.value, `${codecName} #${seq}: value ${JSON.stringify(r.value)}, sent ${JSON.stringify(expected.value)}`)
        check(`${r.timestamp}` === expected.timestamp && r.timestampType === 'CreateTime', `${codecName} #${seq}: timestamp ${r.timestamp}`)
        check(headers.codec === 'kafkajs' && headers.empty === '' && r.headers.length === 3, `${codecName} #${seq}: headers ${JSON.stringify(r.headers)}`)
        seen.add(seq)
      }
      check(seen.size === COUNT, `${codecName}: ${seen.size} distinct messages came back`)
      log(`${codecName}: gregor consume read ${COUNT} kafkajs messages identically (per partition ${next.join('/')})`)
    }
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
}

main().catch(error => { console.error(error.stack || error); process.exit(1) })
