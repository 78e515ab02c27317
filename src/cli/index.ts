export { OperationalError, UsageError, type CliContext } from './context.js';
export { COMMANDS, runCli, type CommandFactory } from './main.js';
export { formatTable, printError, printJson, printLines } from './output.js';
