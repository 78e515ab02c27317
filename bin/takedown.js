#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { exitQuietlyOnClosedStdout, runCli } from '../dist/cli/main.js';

// `takedown … | head`: a closed pipe ends the command quietly with exit 0.
exitQuietlyOnClosedStdout();

process.exitCode = await runCli(process.argv);
