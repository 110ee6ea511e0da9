// kafkajs consumers in one group, each its own process (group-member.js), on a 6-partition topic
// while a kafkajs producer keeps sending. Members a (auto-commit), b (explicit commitOffsets with
// metadata after every message) and c (auto-commit) join one after another; b is killed with
// SIGKILL; later c leaves cleanly (SIGTERM: commit, LeaveGroup); a ends alone. Checked:
// - the group rebalances at each change: generations with members {a}, {a,b}, {a,b,c}, {a,c}, {a}
//   in that order, and in no generation is a partition assigned to two members;
// - right after the kill the group's committed offsets of b's partitions (admin fetchOffsets)
//   carry b's metadata and are at or just past b's last logged commit; once the session timeout
//   expires b, the survivors start each of those partitions exactly at that committed offset;
// - every read is of a partition its member owns in that generation, and each generation takes a
//   partition up right after the last offset read in earlier ones (members commit before a
//   rebalance and on leaving), b's partitions after the kill excepted (at the committed offset);
// - every offset of every partition is consumed with the value sent there (no gap), and the only
//   messages read twice are those b read after its last commit (each read once more, by a survivor).
'use strict'
const { Kafka, logLevel } = require('kafkajs')
const { Member, log, check, sleep, waitFor, committedToTheEnd, generations, checkNoSharedPartition, versionsUsed } = require('./members')

const PARTITIONS = 6
const bootstrap = process.env.GREGOR_BOOTSTRAP
if (!bootstrap) throw new Error('GREGOR_BOOTSTRAP is not set; run through tests/interop/run.sh')
const suffix = Math.random().toString(16).slice(2, 10)
const topic = `kafkajs-group-${suffix}`
const group = `${topic}-group`
const kafka = new Kafka({ clientId: 'gregor-interop-kafkajs-group', brokers: [bootstrap], logLevel: logLevel.WARN })

const readsOf = member => member.of('R')

// Every read is of a partition its member was assigned in that generation, and each generation
// takes a partition up exactly where the earlier ones left it (the previous owner committed what
// it read before giving it up), except where `resumes` says otherwise: { partition → { after,
// offset } } for a partition whose owner died in generation `after`: the first generation after it
// that reads the partition starts at `offset`, the one committed before.
function checkHandovers (members, resumes) {
  const owner = new Map() // "generation:partition" → member
  for (const m of members) for (const a of m.of('A')) for (const p of a.partitions) owner.set(`${a.generation}:${p}`, m.name)
  const byPartition = new Map()
  for (const m of members) {
    for (const r of readsOf(m)) {
      check(owner.get(`${r.generation}:${r.partition}`) === m.name,
        `${m.name} read partition ${r.partition} in generation ${r.generation}, assigned to ${owner.get(`${r.generation}:${r.partition}`)}`)
      if (!byPartition.has(r.partition)) byPartition.set(r.partition, new Map())
      const generations = byPartition.get(r.partition)
      if (!generations.has(r.generation)) generations.set(r.generation, [])
      generations.get(r.generation).push(r.offset)
    }
  }
  for (const [p, generations] of byPartition) {
    let next = 0
    let resume = resumes.get(p)
    for (const [generation, offsets] of [...generations].sort((x, y) => x[0] - y[0])) {
      let expected = next
      if (resume && generation > resume.after) {
        expected = resume.offset
        resume = null
      }
      check(offsets[0] === expected, `partition ${p}: generation ${generation} starts at ${offsets[0]}, expected ${expected}`)
      check(offsets.every((o, i) => i === 0 || o === offsets[i - 1] + 1), `partition ${p}: generation ${generation} skips an offset`)
      next = offsets[offsets.length - 1] + 1
    }
  }
}
const memberSets = members => [...generations(members).entries()].map(([generation, owners]) =>
  ({ generation, names: owners.map(o => o.member).sort().join(''), owners }))

async function main () {
  const admin = kafka.admin()
  await admin.connect()
  check(await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true }),
    `createTopics(${topic}) returned false`)
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()

  // The producer sends one message to each partition every 20 ms: the o-th message of
  // partition p carries the value o * PARTITIONS + p.
  let produced = 0
  let producing = true
  const producerLoop = (async () => {
    while (producing) {
      const messages = []
      for (let p = 0; p < PARTITIONS; p++) messages.push({ partition: p, value: `${produced + p}` })
      await producer.send({ topic, acks: -1, messages })
      produced += PARTITIONS
      await sleep(20)
    }
  })()

  const members = {}
  const all = () => Object.values(members)
  const start = (name, commit) => { members[name] = new Member(name, { topic, group, commit }) }
  const hasGeneration = names => memberSets(all()).find(g => g.names === names &&
    g.owners.flatMap(o => o.partitions).length === PARTITIONS)
  const readsSince = (member, generation) => readsOf(member).filter(r => r.generation >= generation).length

  try {
    start('a', 'auto')
    let g = await waitFor('a alone in the group', () => hasGeneration('a'), 20000)
    await waitFor('a reading', () => readsSince(members.a, g.generation) > 30, 10000)

    start('b', 'explicit')
    g = await waitFor('a generation of a and b', () => hasGeneration('ab'), 20000)
    await waitFor('a and b reading', () => readsSince(members.a, g.generation) > 30 && readsSince(members.b, g.generation) > 30, 10000)

    start('c', 'auto')
    g = await waitFor('a generation of a, b and c', () => hasGeneration('abc'), 20000)
    await waitFor('a, b and c reading', () => ['a', 'b', 'c'].every(n => readsSince(members[n], g.generation) > 30), 10000)

    // b dies without a word: its partitions stay its own until the session timeout expires it.
    await members.b.stop('SIGKILL')
    const killGeneration = g.generation
    const victim = members.b.lastAssignment()
    check(victim.generation === killGeneration, `b's last assignment is of generation ${victim.generation}, not ${killGeneration}`)
    const fetched = await admin.fetchOffsets({ groupId: group, topics: [topic] })
    const committedAtKill = new Map(fetched[0].partitions
      .filter(p => victim.partitions.includes(p.partition))
      .map(p => [p.partition, { offset: Number(p.offset), metadata: p.metadata }]))
    const bReads = readsOf(members.b)
    const bCommits = members.b.of('C')
    for (const p of victim.partitions) {
      const { offset, metadata } = committedAtKill.get(p)
      const lastLogged = Math.max(...bCommits.filter(c => c.partition === p).map(c => c.offset))
      const lastRead = Math.max(...bReads.filter(r => r.partition === p).map(r => r.offset))
      check(offset >= lastLogged && offset <= lastRead + 1,
        `partition ${p}: committed ${offset} at the kill; b last logged a commit of ${lastLogged} and last read ${lastRead}`)
      check(metadata === `b@${offset}`, `partition ${p}: committed metadata ${metadata}, b wrote b@${offset}`)
    }
    log(`b killed in generation ${killGeneration} owning partitions ${victim.partitions}; ` +
      `committed then: ${[...committedAtKill].map(([p, c]) => `${p}@${c.offset}`).join(' ')}`)

    g = await waitFor('a generation of a and c after the kill', () => hasGeneration('ac'), 30000)
    const afterKill = g.generation
    const survivorReads = p => ['a', 'c'].flatMap(n => readsOf(members[n]))
      .filter(r => r.generation >= afterKill && r.partition === p)
    await waitFor('the survivors reading b\'s partitions', () => victim.partitions.every(p => survivorReads(p).length > 0), 10000)
    for (const p of victim.partitions) {
      const first = Math.min(...survivorReads(p).map(r => r.offset))
      check(first === committedAtKill.get(p).offset,
        `partition ${p}: the survivors started at ${first}, the committed offset was ${committedAtKill.get(p).offset}`)
    }
    await waitFor('a and c reading', () => ['a', 'c'].every(n => readsSince(members[n], afterKill) > 30), 10000)

    // c leaves cleanly: kafkajs commits what it consumed, then LeaveGroup.
    const leaving = await members.c.stop('SIGTERM')
    check(leaving.code === 0, `c exited with ${JSON.stringify(leaving)}: ${members.c.tailOfStderr()}`)
    g = await waitFor('a alone again after c left', () => memberSets(all()).find(x => x.generation > afterKill &&
      x.names === 'a' && x.owners[0].partitions.length === PARTITIONS), 20000)
    const afterLeave = g.generation
    await waitFor('a reading every partition', () => [...Array(PARTITIONS).keys()].every(p => readsOf(members.a)
      .some(r => r.generation >= afterLeave && r.partition === p)), 10000)

    producing = false
    await producerLoop
    const perPartition = produced / PARTITIONS
    // Read and committed to the end of every partition: nothing is left to read, so a message read
    // twice is in the members' output before a stops.
    await waitFor('every message consumed and committed', async () => {
      const seen = new Set(all().flatMap(readsOf).map(r => `${r.partition}:${r.offset}`))
      return seen.size >= produced && await committedToTheEnd(admin, group, topic, perPartition)
    }, 30000)
    const stopped = await members.a.stop('SIGTERM')
    check(stopped.code === 0, `a exited with ${JSON.stringify(stopped)}: ${members.a.tailOfStderr()}`)

    // Membership over time, and no partition owned twice in any generation.
    const sequence = memberSets(all()).map(x => x.names).filter((names, i, list) => i === 0 || names !== list[i - 1])
    check(JSON.stringify(sequence) === JSON.stringify(['a', 'ab', 'abc', 'ac', 'a']),
      `the group's member sets over its generations: ${sequence.join(' → ')}`)
    checkNoSharedPartition(all())
    checkHandovers(all(), new Map([...committedAtKill].map(([p, c]) => [p, { after: killGeneration, offset: c.offset }])))

    const count = new Map()
    for (const r of all().flatMap(readsOf)) {
      check(Number(r.value) === r.offset * PARTITIONS + r.partition, `partition ${r.partition} offset ${r.offset} holds ${r.value}`)
      const key = `${r.partition}:${r.offset}`
      count.set(key, (count.get(key) || 0) + 1)
    }
    for (let p = 0; p < PARTITIONS; p++) {
      for (let o = 0; o < perPartition; o++) {
        check(count.has(`${p}:${o}`), `partition ${p}: offset ${o} was never consumed`)
      }
    }
    const bLastRead = new Map(victim.partitions.map(p => [p, Math.max(...bReads.filter(r => r.partition === p).map(r => r.offset))]))
    let twice = 0
    for (const [key, n] of count) {
      const [p, o] = key.split(':').map(Number)
      const explained = committedAtKill.has(p) && o >= committedAtKill.get(p).offset && o <= bLastRead.get(p)
      check(n === 1 || (n === 2 && explained), `partition ${p} offset ${o} was read ${n} times`)
      if (n === 2) twice++
    }
    const gens = generations(all())
    log(`${produced} messages over ${PARTITIONS} partitions all consumed through ${gens.size} generations ` +
      `(${sequence.join(' → ')}); ${twice} read twice (b's uncommitted tail); ` +
      `kafkajs used ${versionsUsed(all(), ['FindCoordinator', 'GroupCoordinator', 'JoinGroup', 'SyncGroup', 'Heartbeat', 'LeaveGroup', 'OffsetCommit', 'OffsetFetch'])}`)
  } finally {
    producing = false
    for (const m of all()) if (m.process.exitCode === null && m.process.signalCode === null) m.process.kill('SIGKILL')
    await producer.disconnect()
    await admin.disconnect()
  }
}

main().catch(error => { console.error(error.stack || error); process.exit(1) })
