#!/usr/bin/env node
// Thin launcher: the compiled CLI lives in dist/ (npm run build).
import { runCli } from '../dist/cli/main.js';

process.exitCode = await runCli(process.argv);
