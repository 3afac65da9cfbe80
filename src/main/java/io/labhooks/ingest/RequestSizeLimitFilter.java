package io.labhooks.ingest;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.filter.OncePerRequestFilter;

import io.labhooks.config.LabhooksProperties;

/**
 * Refuses webhook bodies over the limit with 413 before Camel sees them. Spring Boot has no setting that caps a
 * JSON body, so this reads at most limit+1 bytes (chunked bodies carry no Content-Length) and hands the rest of
 * the chain an in-memory copy.
 */
@Configuration
class RequestSizeLimitFilter {

    /** Before JsonContentTypeFilter, which relies on the in-memory copy to know the real body length. */
    static final int ORDER = Ordered.HIGHEST_PRECEDENCE + 100;

    @Bean
    FilterRegistrationBean<OncePerRequestFilter> webhookSizeLimit(LabhooksProperties properties) {
        long limit = properties.ingest().maxBodyBytes();
        FilterRegistrationBean<OncePerRequestFilter> registration = new FilterRegistrationBean<>(new Limit(limit));
        registration.addUrlPatterns("/webhooks/*");
        registration.setOrder(ORDER);
        return registration;
    }

    private static final class Limit extends OncePerRequestFilter {
        private final long limit;

        Limit(long limit) {
            this.limit = limit;
        }

        @Override
        protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
                throws ServletException, IOException {
            if (request.getContentLengthLong() > limit) {
                tooLarge(response);
                return;
            }
            byte[] body = request.getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
            if (body.length > limit) {
                tooLarge(response);
                return;
            }
            chain.doFilter(new CachedBody(request, body), response);
        }

        private void tooLarge(HttpServletResponse response) throws IOException {
            response.setStatus(413);
            response.setContentType("application/json");
            response.getOutputStream().write(
                    ("{\"error\":\"body is larger than " + limit + " bytes\"}").getBytes(StandardCharsets.UTF_8));
        }
    }

    private static final class CachedBody extends HttpServletRequestWrapper {
        private final byte[] body;

        CachedBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public ServletInputStream getInputStream() {
            InputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public int read() throws IOException {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return in.read(b, off, len);
                }

                @Override
                public boolean isFinished() {
                    return false;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("synchronous reads only");
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            Charset charset = getCharacterEncoding() == null ? StandardCharsets.UTF_8 : Charset.forName(getCharacterEncoding());
            return new BufferedReader(new InputStreamReader(new ByteArrayInputStream(body), charset));
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }
    }
}
