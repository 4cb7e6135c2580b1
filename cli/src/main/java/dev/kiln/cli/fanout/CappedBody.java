package dev.kiln.cli.fanout;

import io.vertx.core.AsyncResult;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.streams.WriteStream;
import io.vertx.ext.web.codec.BodyCodec;
import io.vertx.ext.web.codec.spi.BodyStream;

/**
 * Buffers a response body up to a limit. WebClient's own buffer codec has none, so a wrong address
 * that streams something big (a file server, a metrics endpoint) would otherwise fill the heap.
 * Past the limit the response fails with {@link TooLarge} and the rest of the body is discarded.
 */
final class CappedBody implements BodyCodec<Buffer> {
    private final int limit;

    CappedBody(int limit) {
        this.limit = limit;
    }

    @Override
    public void create(Handler<AsyncResult<BodyStream<Buffer>>> handler) {
        handler.handle(Future.succeededFuture(new Stream(limit)));
    }

    /** The body passed the limit. */
    static final class TooLarge extends RuntimeException {
        TooLarge(int limit) {
            super("the answer is larger than " + (limit >= 1 << 20 ? (limit >> 20) + " MiB" : limit + " bytes")
                    + "; is this address a kiln-agent?", null, false, false);
        }
    }

    private static final class Stream implements BodyStream<Buffer> {
        private final int limit;
        private final Buffer body = Buffer.buffer();
        private final Promise<Buffer> result = Promise.promise();
        private boolean overflowed;

        Stream(int limit) {
            this.limit = limit;
        }

        @Override
        public Future<Buffer> result() {
            return result.future();
        }

        @Override
        public void handle(Throwable failure) {
            result.tryFail(failure);
        }

        @Override
        public WriteStream<Buffer> exceptionHandler(Handler<Throwable> handler) {
            return this;
        }

        @Override
        public Future<Void> write(Buffer data) {
            append(data);
            return Future.succeededFuture();
        }

        @Override
        public void write(Buffer data, Handler<AsyncResult<Void>> handler) {
            append(data);
            if (handler != null) {
                handler.handle(Future.succeededFuture());
            }
        }

        private void append(Buffer data) {
            if (overflowed) {
                return;
            }
            if ((long) body.length() + data.length() > limit) {
                overflowed = true;
                result.tryFail(new TooLarge(limit));
                return;
            }
            body.appendBuffer(data);
        }

        @Override
        public void end(Handler<AsyncResult<Void>> handler) {
            if (!overflowed) {
                result.tryComplete(body);
            }
            if (handler != null) {
                handler.handle(Future.succeededFuture());
            }
        }

        @Override
        public WriteStream<Buffer> setWriteQueueMaxSize(int maxSize) {
            return this;
        }

        @Override
        public boolean writeQueueFull() {
            return false;
        }

        @Override
        public WriteStream<Buffer> drainHandler(Handler<Void> handler) {
            return this;
        }
    }
}
