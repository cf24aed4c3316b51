package dev.weft.provider.softroce.testbed;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a JUnit 5 test class or method on Soft-RoCE: where the host has no rxe device, each
 * annotated test method runs in its own testbed VM (a second JVM with the same class path, started
 * inside the guest), and its outcome is reported here. Inside the guest the test uses
 * {@code verbs://192.0.2.1:PORT} ({@link Testbed#address()}) or {@code verbs://rxe0}; with
 * {@code devices = SIW} it has Soft-iWARP at {@code verbs://203.0.113.1:PORT}
 * ({@link Testbed#siwAddress()}) instead, with both devices both.
 *
 * <p>Where the testbed cannot start the test is skipped with the reason, or fails if the system
 * property {@code weft.softroce.required} is {@code true} (CI sets it); so does a test that skips
 * itself inside the guest. A run past {@link #timeoutSeconds()} fails the test. Supports plain
 * {@code @Test} methods without parameters.
 */
@SuppressWarnings("exports")
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target({ElementType.TYPE, ElementType.METHOD})
@ExtendWith(SoftRoceExtension.class)
public @interface OnSoftRoce {
    /** @return the longest the VM may run for one test method, in seconds */
    long timeoutSeconds() default 300;

    /** @return the soft devices the guest brings up (default: rxe0 only) */
    Testbed.Device[] devices() default {Testbed.Device.RXE};
}
