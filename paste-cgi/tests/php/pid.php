<?php echo getmypid(), ' ', posix_getppid(); ?>
