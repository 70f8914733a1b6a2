import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { renderNginxConfig, templateFile } from '../../src/nginx.ts';
import { renderTemplate } from '../../src/template.ts';

describe('renderTemplate', () => {
  test('replaces every placeholder', () => {
    assert.equal(renderTemplate('{{A}}-{{B}}-{{A}}', { A: '1', B: '2' }), '1-2-1');
  });

  test('a placeholder without a value is an error, not an empty string', () => {
    assert.throws(() => renderTemplate('x {{MISSING}} y', {}), /MISSING/);
  });

  test('a value the template does not use is an error (a typo in a name)', () => {
    assert.throws(() => renderTemplate('{{A}}', { A: '1', TYPO: '2' }), /TYPO/);
  });
});

describe('renderNginxConfig', () => {
  const options = {
    name: 'a',
    prefix: '/srv/twofold/lb-a',
    listenPort: 18080,
    upstreamPorts: [18091, 18092],
    pushUpstreamPorts: [18115, 18116],
  };

  test('one server line per replica, inside the upstream block', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    const upstream = config.slice(config.indexOf('upstream twofold_auth {'), config.indexOf('keepalive 32;'));
    assert.match(upstream, /least_conn;/);
    assert.match(upstream, /server 127\.0\.0\.1:18091 max_fails=2 fail_timeout=5s;/);
    assert.match(upstream, /server 127\.0\.0\.1:18092 max_fails=2 fail_timeout=5s;/);
    assert.doesNotMatch(config, /\{\{/);
  });

  test('listens on loopback only, keeps its files in its prefix', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /listen 127\.0\.0\.1:18080;/);
    assert.match(config, /pid "\/srv\/twofold\/lb-a\/nginx\.pid";/);
    assert.match(config, /access_log "\/srv\/twofold\/lb-a\/logs\/access\.log" twofold;/);
    for (const line of config.split('\n').filter((l) => /^\s*listen /.test(l))) {
      assert.match(line, /listen 127\.0\.0\.1:/);
    }
  });

  test('retries on another replica without ever replaying a POST that reached one', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /proxy_next_upstream error timeout http_502 http_503;/);
    assert.match(config, /proxy_next_upstream_tries 3;/);
    assert.doesNotMatch(config, /^\s*proxy_next_upstream [^;]*non_idempotent/m);
  });

  test('the push upstream is the push replicas, least_conn, left out after one failed connect', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    const block = config.slice(config.indexOf('upstream twofold_push {'));
    const upstream = block.slice(0, block.indexOf('}'));
    assert.match(upstream, /least_conn;/);
    const servers = upstream.split('\n').filter((line) => /^\s*server /.test(line));
    assert.deepEqual(
      servers.map((line) => line.trim()),
      [
        'server 127.0.0.1:18115 max_fails=1 fail_timeout=2s;',
        'server 127.0.0.1:18116 max_fails=1 fail_timeout=2s;',
      ],
    );
    assert.doesNotMatch(upstream, /^\s*keepalive /m);
  });

  test('/push/ upgrades to WebSocket and keeps idle sockets open past the gateway pings', async () => {
    const config = renderNginxConfig(await readFile(templateFile, 'utf8'), options);
    assert.match(config, /map \$http_upgrade \$connection_upgrade \{\s+default upgrade;/);
    const location = config.slice(config.indexOf('location /push/ {'));
    const body = location.slice(0, location.indexOf('\n    }'));
    assert.match(body, /proxy_pass http:\/\/twofold_push;/);
    assert.match(body, /proxy_set_header Upgrade \$http_upgrade;/);
    assert.match(body, /proxy_set_header Connection \$connection_upgrade;/);
    assert.match(body, /proxy_set_header X-Forwarded-For \$remote_addr;/);
    assert.match(body, /limit_conn twofold_push_per_address 50;/);
    assert.match(body, /proxy_read_timeout 75s;/);
    assert.match(body, /proxy_send_timeout 75s;/);
    assert.match(body, /proxy_buffering off;/);
    assert.match(body, /^\s*proxy_next_upstream error timeout;$/m, 'no retry on a replica that answered');
  });

  test('rejects names and prefixes that would break the config', async () => {
    const template = await readFile(templateFile, 'utf8');
    assert.throws(() => renderNginxConfig(template, { ...options, name: 'a;b' }), /invalid/);
    assert.throws(() => renderNginxConfig(template, { ...options, prefix: '/tmp/x";evil' }), /unsupported/);
    assert.throws(() => renderNginxConfig(template, { ...options, upstreamPorts: [] }), /at least one/);
    assert.throws(() => renderNginxConfig(template, { ...options, pushUpstreamPorts: [] }), /at least one/);
  });
});
