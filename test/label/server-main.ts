// A labeling server in its own process, for the restart test (which kills it with SIGKILL):
// `node dist/test/label/server-main.js DB_FILE` prints its URL on the first line of stdout.
import { startServer } from './helpers.js';

if (!process.argv[2]) throw new Error('usage: node dist/test/label/server-main.js DB_FILE');
const server = await startServer(process.argv[2]);
console.log(server.url);
