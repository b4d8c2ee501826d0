/**
 * A shard worker script that fails at start-up, as a broken install or a missing native module
 * would: it throws before serving anything.
 */
throw Object.assign(new Error('shard start-up failed: native module missing'), { code: 'TEST_STARTUP_FAILURE' });
