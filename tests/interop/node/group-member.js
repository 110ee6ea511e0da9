// One kafkajs consumer-group member, run as its own process so a test can kill it with SIGKILL.
// Started by the group tests (node/group.js, cases/mixed_group.py) as
//   node group-member.js '{"topic": ..., "group": ..., "out": PATH, ...}'
// and writes what it sees to PATH, one line per event, flushed as it goes:
//   V api version        the first request of each API at each version (from kafkajs's debug log)
//   A gen member p,p,..  the assignment received in SyncGroup for that generation
//   J member leader|member protocol p,p,..   a finished join (kafkajs's GROUP_JOIN event)
//   R partition offset value          a message handed to eachMessage
//   C partition offset metadata       a committed offset (the next one to read), once the commit returned
//   E type message       the consumer crashed (e.g. INCONSISTENT_GROUP_PROTOCOL)
// Options: commit "auto" (kafkajs commits after each batch and before rejoining) or "explicit"
// (autoCommit off; commitOffsets with metadata after every message); assigner "default"
// (kafkajs's RoundRobinAssigner) or "roundrobin" (the same assignment under the protocol name
// librdkafka uses, so both clients can share a group). SIGTERM leaves the group and exits 0.
'use strict'
const fs = require('fs')
const { Kafka, logLevel, PartitionAssigners } = require('kafkajs')

const options = JSON.parse(process.argv[2] || '{}')
const bootstrap = process.env.GREGOR_BOOTSTRAP
if (!bootstrap || !options.topic || !options.group || !options.out) {
  console.error('usage: GREGOR_BOOTSTRAP=host:port node group-member.js \'{"topic","group","out",...}\'')
  process.exit(2)
}
const out = fs.openSync(options.out, 'a')
const write = line => fs.writeSync(out, line + '\n')

const versionsSeen = new Set()
// kafkajs logs every request ("Request JoinGroup(key: 11, version: 5)") and the assignment it
// received, with its generation, at debug level: the generation is not in the GROUP_JOIN event.
const logCreator = () => ({ namespace, level, log }) => {
  const message = log.message
  const request = /^Request (\w+)\(key: \d+, version: (\d+)\)/.exec(message)
  if (request) {
    const key = `${request[1]} ${request[2]}`
    if (!versionsSeen.has(key)) {
      versionsSeen.add(key)
      write(`V ${key}`)
    }
  } else if (message === 'Received assignment') {
    const partitions = (log.memberAssignment[options.topic] || []).slice().sort((a, b) => a - b)
    write(`A ${log.generationId} ${log.memberId} ${partitions.join(',') || '-'}`)
  } else if (level <= logLevel.ERROR && namespace !== 'Connection') {
    console.error(`${namespace}: ${message} ${JSON.stringify(log)}`)
  }
}

// kafkajs's own round-robin assignment, offered under librdkafka's name for it.
const librdkafkaRoundRobin = config => {
  const assigner = PartitionAssigners.roundRobin(config)
  return { ...assigner, name: 'roundrobin' }
}

const kafka = new Kafka({ clientId: options.clientId || 'gregor-interop-kafkajs-member',
  brokers: [bootstrap], logLevel: logLevel.DEBUG, logCreator,
  retry: { initialRetryTime: 100, retries: 8 } })
const explicit = options.commit === 'explicit'
const consumer = kafka.consumer({
  groupId: options.group,
  sessionTimeout: options.sessionTimeout || 6000,
  rebalanceTimeout: options.rebalanceTimeout || 10000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
  partitionAssigners: options.assigner === 'roundrobin' ? [librdkafkaRoundRobin] : undefined,
  // A protocol error such as INCONSISTENT_GROUP_PROTOCOL ends the member instead of retrying forever.
  retry: { restartOnFailure: async () => false },
})

consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
  const partitions = (payload.memberAssignment[options.topic] || []).slice().sort((a, b) => a - b)
  write(`J ${payload.memberId} ${payload.isLeader ? 'leader' : 'member'} ${payload.groupProtocol} ${partitions.join(',') || '-'}`)
})
consumer.on(consumer.events.COMMIT_OFFSETS, ({ payload }) => {
  if (explicit) return // logged below with its metadata
  for (const { topic, partitions } of payload.topics) {
    if (topic !== options.topic) continue
    for (const { partition, offset } of partitions) write(`C ${partition} ${offset} -`)
  }
})
consumer.on(consumer.events.CRASH, ({ payload }) => {
  write(`E ${payload.error.type || payload.error.name} ${payload.error.message}`)
  process.exit(3)
})

async function main () {
  await consumer.connect()
  await consumer.subscribe({ topics: [options.topic], fromBeginning: true })
  await consumer.run({
    autoCommit: !explicit,
    eachMessage: async ({ partition, message }) => {
      write(`R ${partition} ${message.offset} ${message.value}`)
      if (explicit) {
        const next = `${Number(message.offset) + 1}`
        const metadata = `${options.name || 'member'}@${next}`
        await consumer.commitOffsets([{ topic: options.topic, partition, offset: next, metadata }])
        write(`C ${partition} ${next} ${metadata}`)
      }
    },
  })
}

let stopping = false
process.on('SIGTERM', async () => {
  if (stopping) return
  stopping = true
  try {
    await consumer.disconnect() // commits what was consumed (auto mode) and sends LeaveGroup
    process.exit(0)
  } catch (error) {
    console.error(error.stack || error)
    process.exit(1)
  }
})

main().catch(error => {
  write(`E ${error.type || error.name} ${error.message}`)
  console.error(error.stack || error)
  process.exit(1)
})
