#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { exitQuietlyOnClosedStdout, exitWhenDone, runCli } from '../dist/cli/main.js';

// `takedown … | head`: a closed pipe ends the command quietly with exit 0.
exitQuietlyOnClosedStdout();

// A finished command exits even if a frozen Redis left a handle open.
exitWhenDone(await runCli(process.argv));
