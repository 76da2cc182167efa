'use strict';
// Lockgate's Node bootstrap: runs a Lambda handler against the Runtime API.
// Loads `file.export` from _HANDLER relative to LAMBDA_TASK_ROOT (.js as
// CommonJS or ESM, .mjs, .cjs), supports async handlers and callback style,
// and reports errors in Lambda's shape. Only Node's standard library is used.

const http = require('http');
const path = require('path');
const fs = require('fs');
const { pathToFileURL } = require('url');
const util = require('util');

const api = process.env.AWS_LAMBDA_RUNTIME_API || '';
const sep = api.lastIndexOf(':');
const HOST = api.slice(0, sep);
const PORT = Number(api.slice(sep + 1));
const BASE = '/2018-06-01/runtime';
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: HOST, port: PORT, method, path: BASE + p, agent, headers: headers || {} },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(body);
  });
}

function post(p, payload, errorType) {
  const body = Buffer.from(payload);
  const headers = { 'Content-Type': 'application/json', 'Content-Length': body.length };
  if (errorType) headers['Lambda-Runtime-Function-Error-Type'] = errorType;
  return request('POST', p, body, headers);
}

function errorShape(err, type) {
  const e = err instanceof Error ? err : new Error(typeof err === 'string' ? err : util.inspect(err));
  const trace = typeof e.stack === 'string' ? e.stack.split('\n') : [];
  return { errorType: type || e.name || 'Error', errorMessage: e.message, trace, stackTrace: trace };
}

let currentRequestId;
for (const [level, fn] of [['INFO', 'log'], ['INFO', 'info'], ['WARN', 'warn'], ['ERROR', 'error'], ['DEBUG', 'debug'], ['TRACE', 'trace']]) {
  const stream = level === 'ERROR' || level === 'WARN' ? process.stderr : process.stdout;
  console[fn] = (...args) => {
    const text = util.format(...args).replace(/\n/g, '\r');
    stream.write(`${new Date().toISOString()}\t${currentRequestId || 'undefined'}\t${level}\t${text}\n`);
  };
}

class InitError extends Error {
  constructor(type, message) {
    super(message);
    this.name = type;
  }
}

async function loadHandler() {
  const spec = process.env._HANDLER || '';
  const root = process.env.LAMBDA_TASK_ROOT || process.cwd();
  const dot = spec.lastIndexOf('.');
  if (dot <= 0) throw new InitError('Runtime.MalformedHandlerName', `Bad handler ${spec}`);
  const modPath = path.resolve(root, spec.slice(0, dot));
  const names = spec.slice(dot + 1).split('.');
  let mod;
  const candidates = ['.js', '.mjs', '.cjs'].map((ext) => modPath + ext);
  const file = candidates.find((f) => fs.existsSync(f));
  if (!file) {
    throw new InitError('Runtime.ImportModuleError', `Error: Cannot find module '${modPath}'`);
  }
  try {
    if (file.endsWith('.mjs')) {
      mod = await import(pathToFileURL(file).href);
    } else {
      try {
        mod = require(file);
      } catch (e) {
        if (e && (e.code === 'ERR_REQUIRE_ESM' || e.code === 'ERR_REQUIRE_ASYNC_MODULE')) {
          mod = await import(pathToFileURL(file).href);
        } else {
          throw e;
        }
      }
    }
  } catch (e) {
    if (e instanceof SyntaxError) throw new InitError('Runtime.UserCodeSyntaxError', `${e.name}: ${e.message}`);
    throw e;
  }
  let handler = mod;
  for (const n of names) handler = handler == null ? undefined : handler[n];
  if (handler === undefined && mod && mod.default) {
    handler = mod.default;
    for (const n of names) handler = handler == null ? undefined : handler[n];
  }
  if (typeof handler !== 'function') {
    throw new InitError('Runtime.HandlerNotFound', `${spec.slice(dot + 1)} is undefined or not exported`);
  }
  return handler;
}

function makeContext(headers) {
  const deadline = Number(headers['lambda-runtime-deadline-ms'] || 0);
  const parse = (v) => { try { return v ? JSON.parse(v) : undefined; } catch (_) { return undefined; } };
  const identity = parse(headers['lambda-runtime-cognito-identity']);
  return {
    awsRequestId: headers['lambda-runtime-aws-request-id'],
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'],
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    identity: identity ? { cognitoIdentityId: identity.cognitoIdentityId, cognitoIdentityPoolId: identity.cognitoIdentityPoolId } : undefined,
    clientContext: parse(headers['lambda-runtime-client-context']),
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis() { return Math.max(deadline - Date.now(), 0); },
  };
}

function run(handler, event, context) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const callback = (err, result) => {
      if (settled) return;
      settled = true;
      if (err !== undefined && err !== null) reject(err);
      else resolve(result);
    };
    context.done = callback;
    context.succeed = (r) => callback(null, r);
    context.fail = (e) => callback(e || new Error('handled'));
    let r;
    try {
      r = handler(event, context, callback);
    } catch (e) {
      callback(e);
      return;
    }
    if (r && typeof r.then === 'function') {
      r.then((v) => callback(null, v), (e) => callback(e === undefined || e === null ? new Error(String(e)) : e));
    } else if (handler.length < 3) {
      callback(null, r);
    }
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (e) {
    const err = errorShape(e, e instanceof InitError ? e.name : undefined);
    console.error(`${err.errorType}: ${err.errorMessage}`);
    await post('/init/error', JSON.stringify(err), err.errorType).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', '/invocation/next');
    if (next.status !== 200) process.exit(0);
    const id = next.headers['lambda-runtime-aws-request-id'];
    currentRequestId = id;
    const trace = next.headers['lambda-runtime-trace-id'];
    if (trace) process.env._X_AMZN_TRACE_ID = trace; else delete process.env._X_AMZN_TRACE_ID;
    let result;
    try {
      const event = next.body.length ? JSON.parse(next.body.toString('utf8')) : {};
      const value = await run(handler, event, makeContext(next.headers));
      result = value === undefined ? 'null' : JSON.stringify(value);
      if (result === undefined) result = 'null';
    } catch (e) {
      const err = errorShape(e);
      console.error(`Invoke Error \t${JSON.stringify(err)}`);
      await post(`/invocation/${id}/error`, JSON.stringify(err), err.errorType);
      continue;
    }
    await post(`/invocation/${id}/response`, result);
  }
}

process.on('unhandledRejection', (e) => {
  console.error(`Unhandled Promise Rejection \t${JSON.stringify(errorShape(e))}`);
  process.exit(129);
});

main().catch((e) => {
  process.stderr.write(`lockgate bootstrap: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
