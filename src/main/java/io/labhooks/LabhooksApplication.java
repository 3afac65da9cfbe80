package io.labhooks;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
public class LabhooksApplication {
    public static void main(String[] args) {
        SpringApplication.run(LabhooksApplication.class, args);
    }
}
