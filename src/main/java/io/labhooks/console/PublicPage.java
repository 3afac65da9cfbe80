package io.labhooks.console;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/** A console page shown without a session (sign-in). */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.METHOD)
@interface PublicPage {
}
