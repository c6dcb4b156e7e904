<?php $password = "hunter2-phps"; ?>
