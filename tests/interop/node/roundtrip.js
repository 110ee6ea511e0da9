// kafkajs against Gregor: the admin client creates a topic per codec, the producer (acks=-1)
// sends 100,000 keyed messages with headers and explicit timestamps with each codec kafkajs
// can use here (none and gzip built in; snappy and lz4 through the kafkajs-snappy and
// kafkajs-lz4 codec packages; zstd's package needs a native build that fails on this Node),
// and everything is read back through kafkajs's own Fetch request and record-batch decoder;
// the segment files hold batches of the codec kafkajs used.
//
// The byte-level read-back drives kafkajs's cluster and broker objects directly (Metadata, then
// Fetch from each partition leader): kafkajs's consumer has no assign(), only group membership.
// The lz4 topic is also read the ordinary way, by a kafkajs consumer in a group (consumer.run),
// which must hand over the same messages and commit the end of each partition.
'use strict'
const { Kafka, CompressionTypes, CompressionCodecs, logLevel } = require('kafkajs')
const Cluster = require('kafkajs/src/cluster')
const { createLogger } = require('kafkajs/src/loggers')
const LoggerConsole = require('kafkajs/src/loggers/console')
const socketFactory = require('kafkajs/src/network/socketFactory')
const SnappyCodec = require('kafkajs-snappy')
const LZ4Codec = require('kafkajs-lz4')

CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec

const COUNT = 100000
const PARTITIONS = 2
const bootstrap = process.env.GREGOR_BOOTSTRAP
if (!bootstrap) throw new Error('GREGOR_BOOTSTRAP is not set; run through tests/interop/run.sh')
const codecs = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy, lz4: CompressionTypes.LZ4 }

const fs = require('fs')
const path = require('path')
const codecIds = { none: 0, gzip: 1, snappy: 2, lz4: 3 }

// The codec bits of every batch in the topic's segment files (Kafka's on-disk layout:
// <data dir>/<topic>-<partition>/<base offset>.log holding RecordBatch v2), so the test sees
// that the broker stored what kafkajs sent. Every partition must have its folder there with at
// least one batch: a check that finds nothing to look at must not pass.
function storedCodecs (dataDir, topic) {
  const found = new Set()
  for (let partition = 0; partition < PARTITIONS; partition++) {
    const folder = path.join(dataDir, `${topic}-${partition}`)
    check(fs.existsSync(folder), `${topic}: no segment folder ${folder}`)
    let batches = 0
    for (const name of fs.readdirSync(folder)) {
      if (!name.endsWith('.log')) continue
      const data = fs.readFileSync(path.join(folder, name))
      for (let position = 0; position + 23 <= data.length; batches++) {
        const length = data.readInt32BE(position + 8)
        if (length <= 0) break // preallocated tail
        found.add(data.readInt16BE(position + 21) & 7)
        position += 12 + length
      }
    }
    check(batches > 0, `${topic}: no batch in the segment files of partition ${partition}`)
  }
  return [...found]
}

const log = message => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`)
const check = (condition, message) => { if (!condition) throw new Error(message) }
const suffix = Math.random().toString(16).slice(2, 10)

const kafka = new Kafka({ clientId: 'gregor-interop-kafkajs', brokers: [bootstrap],
  logLevel: logLevel.WARN })

function message (i, baseTimestamp) {
  return {
    key: `key-${i % 5000}`,
    value: i % 997 === 0 ? Buffer.alloc(0) : `value ${i} `.repeat(1 + (i % 13)),
    headers: { seq: `${i}`, codec: 'kafkajs' },
    timestamp: `${baseTimestamp + i}`,
  }
}

// Reads every partition from offset 0 up to its high watermark with kafkajs's Fetch.
async function readAll (topic) {
  const cluster = new Cluster({
    logger: createLogger({ level: logLevel.WARN, logCreator: LoggerConsole }),
    socketFactory: socketFactory(), brokers: [bootstrap], clientId: 'gregor-interop-fetch',
    connectionTimeout: 3000, requestTimeout: 30000, enforceRequestTimeout: true,
    metadataMaxAge: 300000, retry: { retries: 3 }, allowAutoTopicCreation: false,
  })
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    await cluster.refreshMetadata()
    const partitions = [...Array(PARTITIONS).keys()]
    const byLeader = cluster.findLeaderForPartitions(topic, partitions)
    const records = partitions.map(() => [])
    for (const [leader, led] of Object.entries(byLeader)) {
      const broker = await cluster.findBroker({ nodeId: leader })
      const next = Object.fromEntries(led.map(p => [p, 0]))
      const done = new Set()
      for (let round = 0; done.size < led.length; round++) {
        check(round < 10000, `fetching ${topic} did not reach the high watermark`)
        const response = await broker.fetch({
          replicaId: -1, isolationLevel: 0, maxWaitTime: 100, minBytes: 1, maxBytes: 4 << 20,
          topics: [{ topic, partitions: led.filter(p => !done.has(p))
            .map(p => ({ partition: p, fetchOffset: `${next[p]}`, maxBytes: 1 << 20 })) }],
        })
        for (const { partitions: answered } of response.responses) {
          for (const p of answered) {
            check(p.errorCode === 0, `fetch ${topic}/${p.partition}: error ${p.errorCode}`)
            for (const m of p.messages) {
              if (Number(m.offset) < next[p.partition]) continue // batch start before fetch offset
              records[p.partition].push(m)
              next[p.partition] = Number(m.offset) + 1
            }
            if (next[p.partition] >= Number(p.highWatermark)) done.add(p.partition)
          }
        }
      }
    }
    return records
  } finally {
    await cluster.disconnect()
  }
}

// The codec whose topic is also read by consumer.run in a group.
const GROUP_READ_CODEC = 'lz4'

// Reads the topic with a kafkajs consumer in a group of its own (JoinGroup, SyncGroup,
// OffsetFetch, Fetch, OffsetCommit) and compares every message with what was sent.
async function readAsGroupMember (topic, sent, admin) {
  const groupId = `${topic}-reader`
  const consumer = kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200 })
  const received = new Map()
  let duplicates = 0
  const started = Date.now()
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [topic], fromBeginning: true })
    let finished
    const done = new Promise(resolve => { finished = resolve })
    let crash = null
    consumer.on(consumer.events.CRASH, ({ payload }) => { crash = payload.error; finished() })
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const seq = Number(m.headers.seq.toString())
          if (received.has(seq)) duplicates++
          received.set(seq, { m, partition: batch.partition })
        }
        if (received.size >= COUNT) finished()
      },
    })
    const timeout = setTimeout(() => finished(), 120000)
    await done
    clearTimeout(timeout)
    check(crash === null, `consumer.run on ${topic} crashed: ${crash && crash.message}`)
  } finally {
    await consumer.disconnect() // commits the last batch's offsets
  }
  check(received.size === COUNT && duplicates === 0,
    `consumer.run on ${topic}: ${received.size} distinct messages of ${COUNT}, ${duplicates} duplicates`)
  sent.forEach((expected, i) => {
    const { m } = received.get(i)
    check(m.key.toString() === expected.key && Buffer.from(expected.value).equals(m.value) &&
      m.timestamp === expected.timestamp && m.headers.codec.toString() === 'kafkajs',
    `consumer.run on ${topic} #${i}: differs from what was sent`)
  })
  const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
  const ends = await admin.fetchTopicOffsets(topic)
  for (const { partition, offset } of committed[0].partitions) {
    const high = ends.find(e => e.partition === partition).high
    check(offset === high, `${groupId}: committed ${offset} on partition ${partition}, its end is ${high}`)
  }
  log(`${GROUP_READ_CODEC}: a kafkajs group consumer (consumer.run) received the same ${COUNT} messages ` +
    `in ${Date.now() - started} ms and committed the end of each partition`)
}

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  const producer = kafka.producer({ allowAutoTopicCreation: false,
    createPartitioner: require('kafkajs').Partitioners.DefaultPartitioner })
  await producer.connect()
  try {
    for (const [codecName, codec] of Object.entries(codecs)) {
      const topic = `kafkajs-${codecName}-${suffix}`
      const created = await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }],
        waitForLeaders: true })
      check(created === true, `createTopics(${topic}) returned ${created}`)
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] })
      check(metadata.topics[0].partitions.length === PARTITIONS,
        `metadata of ${topic}: ${JSON.stringify(metadata.topics)}`)

      const baseTimestamp = Date.now() - 100000
      const sent = []
      const started = Date.now()
      for (let first = 0; first < COUNT; first += 2000) {
        const messages = []
        for (let i = first; i < first + 2000; i++) messages.push(message(i, baseTimestamp))
        const results = await producer.send({ topic, acks: -1, compression: codec, messages })
        for (const r of results) check(r.errorCode === 0, `produce ${topic}: ${JSON.stringify(r)}`)
        sent.push(...messages)
      }
      const produceMs = Date.now() - started

      const offsets = await admin.fetchTopicOffsets(topic)
      const total = offsets.reduce((sum, o) => sum + Number(o.high), 0)
      check(total === COUNT, `fetchTopicOffsets(${topic}) sums to ${total}: ${JSON.stringify(offsets)}`)

      const records = await readAll(topic)
      const bySeq = new Map()
      records.forEach((partitionRecords, partition) => {
        partitionRecords.forEach((m, index) => {
          check(Number(m.offset) === index, `${topic}/${partition}: offset ${m.offset} at ${index}`)
          bySeq.set(Number(m.headers.seq.toString()), { m, partition })
        })
        // Per key, messages keep the order they were sent in.
        const seqs = partitionRecords.map(m => Number(m.headers.seq.toString()))
        check(seqs.every((s, i) => i === 0 || s > seqs[i - 1]), `${topic}/${partition} out of order`)
      })
      check(bySeq.size === COUNT, `${topic}: read ${bySeq.size} distinct messages of ${COUNT}`)
      sent.forEach((expected, i) => {
        const { m } = bySeq.get(i)
        check(m.key.toString() === expected.key, `${topic} #${i}: key ${m.key}`)
        check(Buffer.from(expected.value).equals(m.value), `${topic} #${i}: value differs`)
        check(m.timestamp === expected.timestamp, `${topic} #${i}: timestamp ${m.timestamp}, sent ${expected.timestamp}`)
        check(m.headers.codec.toString() === 'kafkajs', `${topic} #${i}: headers ${JSON.stringify(m.headers)}`)
      })
      const codecsOnDisk = storedCodecs(process.env.GREGOR_DATA_DIR, topic)
      check(codecsOnDisk.length === 1 && codecsOnDisk[0] === codecIds[codecName],
        `${topic}: stored batches have codecs ${codecsOnDisk}, kafkajs sent ${codecIds[codecName]}`)
      log(`${codecName}: ${COUNT} produced in ${produceMs} ms and read back identical ` +
        `(per partition ${records.map(r => r.length).join('/')})`)
      if (codecName === GROUP_READ_CODEC) await readAsGroupMember(topic, sent, admin)
    }
    const listed = await admin.listTopics()
    check(Object.keys(codecs).every(c => listed.includes(`kafkajs-${c}-${suffix}`)),
      `listTopics misses a created topic: ${listed}`)
  } finally {
    await producer.disconnect()
    await admin.disconnect()
  }
}

main().catch(error => { console.error(error.stack || error); process.exit(1) })
