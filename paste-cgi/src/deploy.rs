//! Registration with paste-deploy (feature `deploy`) (to be written).
