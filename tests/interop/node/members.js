// Starting kafkajs group members (group-member.js, one process each) and reading what they wrote,
// shared by the node group tests.
'use strict'
const fs = require('fs')
const path = require('path')
const { spawn } = require('child_process')

const scratch = process.env.GREGOR_SCRATCH
if (!scratch) throw new Error('GREGOR_SCRATCH is not set; run through tests/interop/run.sh')

const log = message => console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`)
const check = (condition, message) => { if (!condition) throw new Error(message) }
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

// Until predicate (sync or async) gives something truthy, which is returned; fails after timeoutMs.
async function waitFor (what, predicate, timeoutMs) {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await predicate()
    if (value) return value
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(100)
  }
}

class Member {
  constructor (name, options) {
    this.name = name
    this.out = path.join(scratch, `${options.group}-${name}.out`)
    this.stderr = path.join(scratch, `${options.group}-${name}.err`)
    fs.writeFileSync(this.out, '')
    const err = fs.openSync(this.stderr, 'w')
    this.process = spawn(process.execPath,
      [path.join(__dirname, 'group-member.js'), JSON.stringify({ ...options, name, out: this.out })],
      { stdio: ['ignore', 'ignore', err], env: process.env })
    this.exited = new Promise(resolve => this.process.on('exit', (code, signal) => resolve({ code, signal })))
  }

  // Every line the member wrote, parsed; `generation` is the generation the member was in when it
  // wrote the line (from the last assignment line before it).
  events () {
    const events = []
    let generation = null
    for (const line of fs.readFileSync(this.out, 'utf8').split('\n')) {
      const [kind, ...rest] = line.split(' ')
      if (kind === 'A') {
        generation = Number(rest[0])
        const partitions = rest[2] === '-' ? [] : rest[2].split(',').map(Number)
        events.push({ kind, generation, memberId: rest[1], partitions })
      } else if (kind === 'R') {
        events.push({ kind, generation, partition: Number(rest[0]), offset: Number(rest[1]), value: rest[2] })
      } else if (kind === 'C') {
        events.push({ kind, generation, partition: Number(rest[0]), offset: Number(rest[1]), metadata: rest[2] })
      } else if (kind === 'V') {
        events.push({ kind, api: rest[0], version: Number(rest[1]) })
      } else if (kind === 'J') {
        const partitions = rest[3] === '-' ? [] : rest[3].split(',').map(Number)
        events.push({ kind, generation, memberId: rest[0], role: rest[1], protocol: rest[2], partitions })
      } else if (kind === 'E') {
        events.push({ kind, generation, text: rest.join(' ') })
      }
    }
    return events
  }

  of (kind) { return this.events().filter(e => e.kind === kind) }

  lastAssignment () {
    const assignments = this.of('A')
    return assignments[assignments.length - 1]
  }

  async stop (signal = 'SIGTERM', timeoutMs = 15000) {
    this.process.kill(signal)
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs)
    const result = await this.exited
    clearTimeout(timer)
    return result
  }

  tailOfStderr () {
    return fs.readFileSync(this.stderr, 'utf8').slice(-3000)
  }
}

// Per generation, who owned which partitions: { generation: [{ member, partitions }] }.
function generations (members) {
  const byGeneration = new Map()
  for (const member of members) {
    for (const a of member.of('A')) {
      if (!byGeneration.has(a.generation)) byGeneration.set(a.generation, [])
      byGeneration.get(a.generation).push({ member: member.name, partitions: a.partitions })
    }
  }
  return new Map([...byGeneration.entries()].sort((x, y) => x[0] - y[0]))
}

// Fails when a partition is owned by two members in the same generation, or when kafkajs's
// GROUP_JOIN event disagrees with the assignment its debug log showed for that generation.
function checkNoSharedPartition (members) {
  for (const member of members) {
    for (const join of member.of('J')) {
      const assigned = member.of('A').filter(a => a.generation === join.generation).pop()
      check(assigned && assigned.partitions.join(',') === join.partitions.join(','),
        `${member.name}: GROUP_JOIN of generation ${join.generation} carries ${join.partitions}, SyncGroup gave ${assigned && assigned.partitions}`)
    }
  }
  for (const [generation, owners] of generations(members)) {
    const owner = new Map()
    for (const { member, partitions } of owners) {
      for (const p of partitions) {
        check(!owner.has(p), `generation ${generation}: partition ${p} assigned to both ${owner.get(p)} and ${member}`)
        owner.set(p, member)
      }
    }
  }
}

// The versions the members' requests used, per API: "JoinGroup v5, SyncGroup v3, ...".
function versionsUsed (members, apis) {
  const seen = new Map()
  for (const member of members) {
    for (const v of member.of('V')) {
      if (!seen.has(v.api)) seen.set(v.api, new Set())
      seen.get(v.api).add(v.version)
    }
  }
  return apis.filter(api => seen.has(api)).map(api => `${api} v${[...seen.get(api)].sort().join('/v')}`).join(', ')
}

// A kafkajs logCreator (for logLevel DEBUG) that keeps the version of every request kafkajs sent
// ("Request DescribeGroups(key: 15, version: 2)") and passes errors on to stderr.
function requestVersions () {
  const seen = new Map()
  const { logLevel } = require('kafkajs')
  const logCreator = () => ({ namespace, level, log }) => {
    const request = /^Request (\w+)\(key: \d+, version: (\d+)\)/.exec(log.message)
    if (request) {
      if (!seen.has(request[1])) seen.set(request[1], new Set())
      seen.get(request[1]).add(Number(request[2]))
    } else if (level <= logLevel.ERROR && namespace !== 'Connection') {
      console.error(`${namespace}: ${log.message} ${JSON.stringify(log)}`)
    }
  }
  const summary = apis => apis.filter(api => seen.has(api))
    .map(api => `${api} v${[...seen.get(api)].sort().join('/v')}`).join(', ')
  return { logCreator, summary }
}

// The group's committed offsets are `perPartition` on each of the topic's partitions (read with the
// kafkajs admin's fetchOffsets): the group has read everything, nothing is left for any member to read.
async function committedToTheEnd (admin, groupId, topic, perPartition) {
  const fetched = await admin.fetchOffsets({ groupId, topics: [topic] })
  return fetched[0].partitions.every(p => Number(p.offset) === perPartition)
}

module.exports = { Member, log, check, sleep, waitFor, committedToTheEnd, generations, checkNoSharedPartition, versionsUsed, requestVersions }
