// Where the V8 code cache of agent.cjs for a given set of Node flags is kept. V8 rejects a cache
// made under any other flags (a heap size flag is enough), so the build writes one per flag set
// the agent is started with (none, and the image's ENTRYPOINT flags), and the loader picks the
// one for its own process.execArgv.
'use strict';
const { createHash } = require('node:crypto');

exports.codeCacheFile = (agentFile, execArgv) => `${agentFile}.${createHash('sha256').update(JSON.stringify(execArgv)).digest('hex').slice(0, 12)}.cache`;
