// Publish/subscribe with kafkajs: two groups on one 4-partition topic, group x with two members and
// group y with one (each member its own process, group-member.js). Messages are produced before and
// after the groups join. Each group receives every message exactly once (within x, split between
// its members, no partition shared in any generation); the groups do not take messages from each
// other, and each group's committed offsets end at the end of every partition. Then the kafkajs
// admin client: listGroups shows both (protocol type consumer), describeGroups shows them Empty,
// deleteGroups removes them (their offsets with them: fetchOffsets gives -1), and deleting one
// again fails with GROUP_ID_NOT_FOUND (69).
'use strict'
const { Kafka, logLevel } = require('kafkajs')
const { Member, log, check, waitFor, committedToTheEnd, generations, checkNoSharedPartition, requestVersions } = require('./members')

const PARTITIONS = 4
const BATCH = 400
const bootstrap = process.env.GREGOR_BOOTSTRAP
if (!bootstrap) throw new Error('GREGOR_BOOTSTRAP is not set; run through tests/interop/run.sh')
const suffix = Math.random().toString(16).slice(2, 10)
const topic = `kafkajs-pubsub-${suffix}`
const versions = requestVersions()
const kafka = new Kafka({ clientId: 'gregor-interop-kafkajs-pubsub', brokers: [bootstrap], logLevel: logLevel.DEBUG,
  logCreator: versions.logCreator })

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  check(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
    `createTopics(${topic}) returned false`)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  let produced = 0
  const produce = async count => {
    const messages = []
    for (let i = 0; i < count; i++, produced++) messages.push({ partition: produced % PARTITIONS, value: `${produced}` })
    await producer.send({ topic, acks: -1, messages })
  }

  const groups = { x: [], y: [] }
  const all = () => [...groups.x, ...groups.y]
  try {
    await produce(BATCH) // before anyone subscribed: read from the beginning
    for (const [group, names] of [['x', ['x1', 'x2']], ['y', ['y1']]]) {
      for (const name of names) groups[group].push(new Member(name, { topic, group: `${topic}-${group}`, commit: 'auto' }))
    }
    for (const [group, members] of Object.entries(groups)) {
      await waitFor(`group ${group} sharing all partitions among its ${members.length} member(s)`, () => {
        const latest = [...generations(members).values()].pop()
        return latest && latest.length === members.length && latest.flatMap(o => o.partitions).length === PARTITIONS
      }, 20000)
    }
    await produce(BATCH) // while they are members
    const everything = (members) => new Set(members.flatMap(m => m.of('R')).map(r => `${r.partition}:${r.offset}`))
    // Each group read and committed to the end of every partition: nothing is left to read, so a
    // message read twice is in the members' output before they stop.
    for (const [group, members] of Object.entries(groups)) {
      await waitFor(`group ${group} receiving and committing all ${produced} messages`, async () => everything(members).size >= produced &&
        await committedToTheEnd(admin, `${topic}-${group}`, topic, produced / PARTITIONS), 20000)
    }
    for (const m of all()) {
      const stopped = await m.stop('SIGTERM')
      check(stopped.code === 0, `${m.name} exited with ${JSON.stringify(stopped)}: ${m.tailOfStderr()}`)
    }

    const summary = []
    for (const [group, members] of Object.entries(groups)) {
      checkNoSharedPartition(members)
      const reads = members.flatMap(m => m.of('R'))
      const seen = new Map()
      for (const r of reads) {
        const key = `${r.partition}:${r.offset}`
        check(!seen.has(key), `group ${group}: partition ${r.partition} offset ${r.offset} read twice`)
        seen.set(key, Number(r.value))
      }
      const values = [...seen.values()].sort((a, b) => a - b)
      check(values.length === produced && values.every((v, i) => v === i),
        `group ${group}: read ${values.length} distinct messages of ${produced}`)
      for (const r of reads) check(Number(r.value) % PARTITIONS === r.partition, `value ${r.value} on partition ${r.partition}`)
      const committed = await admin.fetchOffsets({ groupId: `${topic}-${group}`, topics: [topic] })
      const ends = committed[0].partitions.map(p => Number(p.offset))
      check(ends.every(o => o === produced / PARTITIONS), `group ${group}: committed offsets ${ends}, each partition holds ${produced / PARTITIONS}`)
      summary.push(`${group}: ${members.map(m => `${m.name} ${m.of('R').length}`).join(', ')}`)
    }
    log(`${produced} messages, every one received once by each group (${summary.join('; ')}); committed offsets at the end`)

    const groupIds = Object.keys(groups).map(group => `${topic}-${group}`)
    const listed = (await admin.listGroups()).groups.filter(g => groupIds.includes(g.groupId))
    check(listed.length === 2 && listed.every(g => g.protocolType === 'consumer'), `listGroups: ${JSON.stringify(listed)}`)
    const described = (await admin.describeGroups(groupIds)).groups
    check(described.length === 2 && described.every(g => g.errorCode === 0 && g.state === 'Empty' &&
      g.protocolType === 'consumer' && g.members.length === 0), `describeGroups: ${JSON.stringify(described)}`)
    const deleted = await admin.deleteGroups(groupIds)
    check(deleted.length === 2 && deleted.every(d => d.errorCode === 0), `deleteGroups: ${JSON.stringify(deleted)}`)
    const after = (await admin.listGroups()).groups.filter(g => groupIds.includes(g.groupId))
    check(after.length === 0, `listGroups after deleteGroups: ${JSON.stringify(after)}`)
    const offsets = await admin.fetchOffsets({ groupId: groupIds[0], topics: [topic] })
    check(offsets[0].partitions.every(p => p.offset === '-1'), `offsets after deleteGroups: ${JSON.stringify(offsets)}`)
    let again = null
    try {
      await admin.deleteGroups([groupIds[0]])
    } catch (error) {
      again = error
    }
    check(again && again.groups && again.groups[0].error && again.groups[0].error.type === 'GROUP_ID_NOT_FOUND',
      `deleting a deleted group: ${again && (again.message + JSON.stringify(again.groups))}`)
    log(`listGroups, describeGroups (Empty), deleteGroups (offsets gone, again → GROUP_ID_NOT_FOUND); ` +
      `kafkajs admin used ${versions.summary(['ListGroups', 'DescribeGroups', 'DeleteGroups', 'OffsetFetch', 'GroupCoordinator'])}`)
  } finally {
    for (const m of all()) if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL')
    await producer.disconnect()
    await admin.disconnect()
  }
}

main().catch(error => { console.error(error.stack || error); process.exit(1) })
