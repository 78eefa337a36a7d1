#!/usr/bin/env node
console.log('rlhf: usage: rlhf <command> [--help]');
