'use strict';
// Preloaded into Azurite's Node (`node -r`). Every cell starts a fresh
// Azurite, and a cold start spends most of its CPU parsing and compiling the
// ~1,400 CommonJS modules it loads. This compiles each of them from a V8 code
// cache written once at install time (REGMATRIX_NODE_CODE_CACHE_PRODUCE=1).
// The modules run unchanged: only their compilation is cached. V8 rejects a
// cache entry whose source or flags differ, and then compiles as usual;
// anything that is not plain CommonJS keeps Node's own path.
const Module = require('module');
const vm = require('vm');
const fs = require('fs');
const path = require('path');

const root = process.env.REGMATRIX_NODE_CODE_CACHE;
if (root) {
  // A cache belongs to one Node (V8) version.
  const dir = path.join(root, process.version);
  const produce = process.env.REGMATRIX_NODE_CODE_CACHE_PRODUCE === '1';
  let index = {};
  let resolved = {};
  let blob = Buffer.alloc(0);
  if (!produce) {
    try {
      ({ index, resolved } = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')));
      blob = fs.readFileSync(path.join(dir, 'cache.bin'));
    } catch (_) {
      index = {};
      resolved = {};
    }
  }
  // Resolving a request walks node_modules and reads package.json files; in
  // an installed tree nothing moves, so the answers are cached as well.
  const nodeResolve = Module._resolveFilename;
  Module._resolveFilename = function (request, parent, isMain, options) {
    if (options || !parent || !parent.path || Module.isBuiltin(request)) {
      return nodeResolve.call(this, request, parent, isMain, options);
    }
    const key = `${parent.path}\0${request}`;
    const hit = resolved[key];
    if (hit !== undefined) return hit;
    const filename = nodeResolve.call(this, request, parent, isMain, options);
    if (produce) resolved[key] = filename;
    return filename;
  };
  const compiled = [];
  const counts = { cached: 0, compiled: 0, rejected: 0, node: 0 };
  const nodeCompile = Module.prototype._compile;
  Module.prototype._compile = function (content, filename) {
    // A script compiled from cached data loses the host options dynamic
    // `import()` needs (Node 20 then throws ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING);
    // a module that may use it keeps Node's own path.
    if (content.includes('import(')) {
      counts.node += 1;
      return nodeCompile.call(this, content, filename);
    }
    const entry = index[filename];
    const cachedData = entry && entry[0] === content.length
      ? blob.subarray(entry[1], entry[1] + entry[2])
      : undefined;
    let script;
    try {
      script = new vm.Script(Module.wrap(content), {
        filename,
        cachedData,
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
    } catch (_) {
      counts.node += 1;
      return nodeCompile.call(this, content, filename);
    }
    if (cachedData === undefined) counts.compiled += 1;
    else if (script.cachedDataRejected) counts.rejected += 1;
    else counts.cached += 1;
    if (produce) compiled.push([filename, content.length, script]);
    const mod = this;
    const require = (id) => mod.require(id);
    require.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
    require.resolve.paths = (request) => Module._resolveLookupPaths(request, mod);
    require.main = process.mainModule;
    require.extensions = Module._extensions;
    require.cache = Module._cache;
    const wrapper = script.runInThisContext({ displayErrors: true });
    return wrapper.call(mod.exports, mod.exports, require, mod, filename, path.dirname(filename));
  };
  if (process.env.REGMATRIX_NODE_CODE_CACHE_STATS === '1') {
    process.once('exit', () => {
      fs.writeSync(2, `regmatrix code cache: ${counts.cached} from cache, ` +
        `${counts.compiled} compiled, ${counts.rejected} rejected, ${counts.node} left to node\n`);
    });
  }
  if (produce) {
    // Written at exit, so the cache also holds the functions start-up ran.
    process.once('exit', () => {
      const entries = {};
      const parts = [];
      let offset = 0;
      for (const [filename, length, script] of compiled) {
        const data = script.createCachedData();
        entries[filename] = [length, offset, data.length];
        parts.push(data);
        offset += data.length;
      }
      const staging = `${dir}.${process.pid}`;
      fs.rmSync(staging, { recursive: true, force: true });
      fs.mkdirSync(staging, { recursive: true });
      fs.writeFileSync(path.join(staging, 'cache.bin'), Buffer.concat(parts));
      fs.writeFileSync(path.join(staging, 'index.json'), JSON.stringify({ index: entries, resolved }));
      fs.rmSync(dir, { recursive: true, force: true });
      fs.renameSync(staging, dir);
    });
  }
}
